using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LatentEbm.Data.Datasets;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Server.Tests;

/// <summary>
/// Seeds (a fresh random one when the request gives none, the seed used returned in every answer) and content negotiation
/// (Content-Type: 415; Accept with q-values: JSON or PNG, 406 when nothing acceptable can be written) on the shipped bundles.
/// </summary>
public class SeedAndNegotiationTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Model = "/v1/models/mnist-digit4";
    private const string Text = "/v1/models/ptb-text";
    private static readonly Lazy<LabeledImages> Mnist = new(() => ImageDatasets.LoadSplit(TestPaths.Mnist, train: false));

    private async Task<(HttpResponseMessage Response, string Body)> Send(HttpMethod method, string path, HttpContent? content = null, string? accept = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        var response = await server.Client.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static JsonElement Problem(HttpResponseMessage response, string body, HttpStatusCode status)
    {
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    private static int HeaderSeed(HttpResponseMessage response) => int.Parse(response.Headers.GetValues("Latent-Ebm-Seed").Single());

    [Fact]
    public async Task SeedlessRequestsDrawFreshSeedsAndTheReturnedSeedReproducesTheAnswer()
    {
        foreach (var (path, body, seedless) in new[]
        {
            ($"{Model}/samples", "{\"count\": 3}", "{\"count\": 3, \"seed\": SEED}"),
            ($"{Model}/scores", $"{{\"images\": [{Row(0)}]}}", $"{{\"images\": [{Row(0)}], \"seed\": SEED}}"),
            ($"{Text}/samples", "{\"count\": 3}", "{\"count\": 3, \"seed\": SEED}"),
            ($"{Text}/scores", "{\"sentences\": [\"the market fell\"]}", "{\"sentences\": [\"the market fell\"], \"seed\": SEED}"),
        })
        {
            var (first, a) = await Send(HttpMethod.Post, path, Json(body));
            var (second, b) = await Send(HttpMethod.Post, path, Json(body));
            Assert.True(first.IsSuccessStatusCode && second.IsSuccessStatusCode, $"{path}: {a} {b}");
            int seedA = JsonDocument.Parse(a).RootElement.GetProperty("seed").GetInt32(), seedB = JsonDocument.Parse(b).RootElement.GetProperty("seed").GetInt32();
            Assert.True(seedA >= 0 && seedB >= 0);
            Assert.NotEqual(seedA, seedB);
            Assert.NotEqual(a, b); // another seed, another draw (no more seed 0 for everyone)
            Assert.Equal(seedA, HeaderSeed(first));
            var (again, c) = await Send(HttpMethod.Post, path, Json(seedless.Replace("SEED", seedA.ToString())));
            Assert.True(again.IsSuccessStatusCode, c);
            Assert.Equal(a, c);
        }
    }

    private static string Row(int index) => "[" + string.Join(",", Mnist.Value.Image(index).ToArray().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]";

    [Fact]
    public async Task APngAnswerCarriesItsSeedInTheHeaderAndTheSeedReproducesIt()
    {
        var (first, _) = await Send(HttpMethod.Post, $"{Model}/samples", Json("{\"count\": 4}"), accept: "image/png");
        Assert.Equal("image/png", first.Content.Headers.ContentType?.MediaType);
        int seed = HeaderSeed(first);
        byte[] png = await first.Content.ReadAsByteArrayAsync();
        var (again, _) = await Send(HttpMethod.Post, $"{Model}/samples", Json($"{{\"count\": 4, \"seed\": {seed}}}"), accept: "image/png");
        Assert.Equal(png, await again.Content.ReadAsByteArrayAsync());
        Assert.Equal(seed, HeaderSeed(again));
    }

    [Fact]
    public async Task TheQuerySeedServesEveryBodyOnceAndUnknownQueryParametersAreRefused()
    {
        // A PNG of samples asked with no body at all is reproduced by ?seed=.
        var (first, _) = await Send(HttpMethod.Post, $"{Model}/samples", accept: "image/png");
        int seed = HeaderSeed(first);
        var (again, _) = await Send(HttpMethod.Post, $"{Model}/samples?seed={seed}", accept: "image/png");
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await again.Content.ReadAsByteArrayAsync());
        Assert.Equal(seed, HeaderSeed(again));
        // A JSON body takes ?seed= as its seed: the same answer as the seed in the body.
        string images = $"{{\"images\": [{Row(1)}]}}";
        var (byQuery, queryBody) = await Send(HttpMethod.Post, $"{Model}/scores?seed=9", Json(images));
        var (byBody, bodyBody) = await Send(HttpMethod.Post, $"{Model}/scores", Json($"{{\"images\": [{Row(1)}], \"seed\": 9}}"));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (byQuery.StatusCode, byBody.StatusCode));
        Assert.Equal(bodyBody, queryBody);
        var (text, textBody) = await Send(HttpMethod.Post, $"{Text}/samples?seed=5", Json("{\"count\": 2}"));
        Assert.Equal(5, JsonDocument.Parse(textBody).RootElement.GetProperty("seed").GetInt32());
        // Given twice (query and body), or a parameter the route does not read: a 400 naming it.
        foreach (var (path, content, field, detail) in new (string, HttpContent?, string, string)[]
                 {
                     ($"{Model}/scores?seed=9", Json($"{{\"images\": [{Row(1)}], \"seed\": 9}}"), "seed", "seed is given both in the query and in the body; give it once"),
                     ($"{Model}/samples?seed=1&seed=2", null, "seed", "seed is given more than once in the query; give it once"),
                     ($"{Model}/scores?sede=1", Json(images), "sede", "unknown query parameter 'sede'; this endpoint takes seed and start"),
                     ($"{Model}/samples?start=noise", null, "start", "unknown query parameter 'start'; this endpoint takes seed"),
                     ($"{Text}/samples?temperature=0", Json("{\"count\": 1}"), "temperature", "unknown query parameter 'temperature'; this endpoint takes seed"),
                 })
        {
            var (response, body) = await Send(HttpMethod.Post, path, content);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal((field, detail), (problem.GetProperty("field").GetString(), problem.GetProperty("detail").GetString()));
        }
    }

    [Fact]
    public async Task ASeedOutOfRangeSaysTheRangeInJsonQueryAndForm()
    {
        const string expected = "seed must be an integer in [-2147483648, 2147483647], got 4294967296";
        var (response, body) = await Send(HttpMethod.Post, $"{Model}/samples", Json("{\"seed\": 4294967296}"));
        var problem = Problem(response, body, HttpStatusCode.BadRequest);
        Assert.Equal(("seed", expected), (problem.GetProperty("field").GetString(), problem.GetProperty("detail").GetString()));

        byte[] png = Encode28();
        var file = new ByteArrayContent(png);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        (response, body) = await Send(HttpMethod.Post, $"{Model}/scores?seed=4294967296", file);
        problem = Problem(response, body, HttpStatusCode.BadRequest);
        Assert.Equal(("seed", expected), (problem.GetProperty("field").GetString(), problem.GetProperty("detail").GetString()));

        var part = new ByteArrayContent(png);
        part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using var form = new MultipartFormDataContent { { part, "images", "a.png" }, { new StringContent("4294967296"), "seed" } };
        (response, body) = await Send(HttpMethod.Post, $"{Model}/scores", form);
        problem = Problem(response, body, HttpStatusCode.BadRequest);
        Assert.Equal(("seed", expected), (problem.GetProperty("field").GetString(), problem.GetProperty("detail").GetString()));

        // The ends of the range are seeds like any other.
        (response, body) = await Send(HttpMethod.Post, $"{Model}/samples", Json("{\"count\": 1, \"seed\": -2147483648}"));
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Equal(int.MinValue, JsonDocument.Parse(body).RootElement.GetProperty("seed").GetInt32());
    }

    private static byte[] Encode28()
    {
        using var bitmap = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(28, 28, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque));
        using var image = SkiaSharp.SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Fact]
    public async Task AnEmptyBodyWithoutContentTypeMeansAllDefaults()
    {
        var (response, body) = await Send(HttpMethod.Post, $"{Model}/samples");
        Assert.True(response.IsSuccessStatusCode, body);
        var answer = JsonDocument.Parse(body).RootElement;
        Assert.Equal(16, answer.GetProperty("latents").GetArrayLength());
        Assert.Equal(16, answer.GetProperty("images").GetArrayLength());
        // A route without defaults says what it needs.
        (response, body) = await Send(HttpMethod.Post, $"{Model}/scores");
        Assert.Equal("images", Problem(response, body, HttpStatusCode.BadRequest).GetProperty("field").GetString());
    }

    [Theory]
    [InlineData(null, "application/json")]
    [InlineData("*/*", "application/json")]
    [InlineData("image/png", "image/png")]
    [InlineData("image/*", "image/png")]
    [InlineData("image/png, application/json", "application/json")] // a tie: JSON
    [InlineData("image/png;q=0.5, application/json", "application/json")]
    [InlineData("application/json;q=0.4, image/png;q=0.9", "image/png")]
    [InlineData("image/png;q=0, */*", "application/json")]
    [InlineData("text/html, image/png;q=0.1", "image/png")]
    [InlineData("application/*;q=0.2, image/png;q=0.1", "application/json")]
    public async Task SamplesFollowTheAcceptQualityValues(string? accept, string expected)
    {
        var (response, body) = await Send(HttpMethod.Post, $"{Model}/samples", Json("{\"count\": 2, \"seed\": 1}"), accept);
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Equal(expected, response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/samples", "text/html")]
    [InlineData("/samples", "image/png;q=0, application/json;q=0")]
    [InlineData("/samples", "*/*;q=0")]
    [InlineData("/scores", "image/png")]
    [InlineData("/latents", "image/jpeg, text/csv")]
    public async Task NothingAcceptableIs406ListingWhatTheRouteWrites(string route, string accept)
    {
        string json = route == "/samples" ? "{\"count\": 1}" : $"{{\"images\": [{Row(0)}]}}";
        var (response, body) = await Send(HttpMethod.Post, Model + route, Json(json), accept);
        var problem = Problem(response, body, HttpStatusCode.NotAcceptable);
        Assert.Equal("Accept", problem.GetProperty("field").GetString());
        string[] available = [.. problem.GetProperty("available").EnumerateArray().Select(e => e.GetString()!)];
        Assert.Equal(route == "/samples" ? ["application/json", "image/png"] : ["application/json"], available);
        // The text model writes no PNG.
        (response, body) = await Send(HttpMethod.Post, $"{Text}/samples", Json("{\"count\": 1}"), "image/png");
        Problem(response, body, HttpStatusCode.NotAcceptable);
    }

    [Theory]
    [InlineData("/samples", "text/plain", "application/json")]
    [InlineData("/samples", "image/png", "application/json")]
    [InlineData("/samples", "application/x-www-form-urlencoded", "application/json")]
    [InlineData("/scores", "application/xml", "application/json,image/png,image/jpeg,multipart/form-data")]
    [InlineData("/scores", "not a type", "application/json,image/png,image/jpeg,multipart/form-data")]
    public async Task OtherBodyTypesAre415ListingTheAcceptedOnes(string route, string type, string accepted)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"count\": 1}"));
        content.Headers.TryAddWithoutValidation("Content-Type", type);
        var (response, body) = await Send(HttpMethod.Post, Model + route, content);
        var problem = Problem(response, body, HttpStatusCode.UnsupportedMediaType);
        Assert.Equal(accepted.Split(','), problem.GetProperty("accepted").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal("Content-Type", problem.GetProperty("field").GetString());

        // A body without a content type is not taken for JSON; a +json type is JSON.
        (response, body) = await Send(HttpMethod.Post, $"{Model}/samples", new ByteArrayContent(Encoding.UTF8.GetBytes("{\"count\": 1}")));
        Problem(response, body, HttpStatusCode.UnsupportedMediaType);
        // Image files sent to a text model: the 415 names the model's kind.
        var file = new ByteArrayContent(Encode28());
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        (response, body) = await Send(HttpMethod.Post, $"{Text}/scores", file);
        Assert.StartsWith("model ptb-text is a text model: send a JSON body", Problem(response, body, HttpStatusCode.UnsupportedMediaType).GetProperty("detail").GetString());
        var vendor = new StringContent("{\"count\": 1, \"seed\": 2}", Encoding.UTF8, "application/vnd.latent-ebm+json");
        (response, body) = await Send(HttpMethod.Post, $"{Model}/samples", vendor);
        Assert.True(response.IsSuccessStatusCode, body);
    }

    [Fact]
    public async Task AWrongMethodAndAnUnknownPathAreProblemDocuments()
    {
        var (response, body) = await Send(HttpMethod.Get, $"{Model}/samples", accept: "text/html");
        Problem(response, body, HttpStatusCode.MethodNotAllowed);
        Assert.Contains("POST", response.Content.Headers.Allow);
        (response, body) = await Send(HttpMethod.Get, "/v2/nothing", accept: "text/html");
        Problem(response, body, HttpStatusCode.NotFound);
        (response, body) = await Send(HttpMethod.Post, "/v1/models");
        Problem(response, body, HttpStatusCode.MethodNotAllowed);
    }
}
