using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using LatentEbm.Data.Datasets;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Server.Tests;

public class ApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Model = "/v1/models/mnist-digit4";
    private static readonly Lazy<LabeledImages> Mnist = new(() => ImageDatasets.LoadSplit(TestPaths.Mnist, train: false));

    private static float[][] Images(int first, int count) =>
        [.. Enumerable.Range(first, count).Select(i => Mnist.Value.Image(i).ToArray())];

    private async Task<JsonElement> Post(string path, object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await server.Client.PostAsJsonAsync(path, body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<(HttpStatusCode Status, string ContentType, JsonElement Body)> PostRaw(string path, string json)
    {
        using var response = await server.Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Fact]
    public async Task V1AnswersAreSentWholeWithTheirLengthAndProblemsStillHaveBodies()
    {
        // Written whole (WholeAnswerMiddleware): a Content-Length, not a chunked stream a dying replica could cut short.
        foreach (var (path, accept) in new[] { ($"{Model}/samples", "application/json"), ($"{Model}/samples", "image/png") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(new { count = 64, seed = 3 }) };
            request.Headers.Accept.ParseAdd(accept);
            using var response = await server.Client.SendAsync(request);
            byte[] body = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(body.Length > 10_000, $"{accept}: {body.Length} bytes");
            Assert.Equal(body.Length, response.Content.Headers.ContentLength);
            Assert.NotEqual(true, response.Headers.TransferEncodingChunked);
        }
        // An answer with no body of its own still becomes a problem document (status code pages run inside the buffering).
        using var missing = await server.Client.GetAsync("/v1/no-such-route");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType!.MediaType);
        Assert.Equal((await missing.Content.ReadAsByteArrayAsync()).Length, missing.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task ModelsHealthAndReadinessAnswer()
    {
        var models = await server.Client.GetFromJsonAsync<JsonElement>("/v1/models");
        // Every shipped bundle loads, version 1, 2 and 3 manifests alike and the text bundle (version 4); the feature classifiers (no manifest) are not models.
        string[] ids = [.. models.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("id").GetString()!)];
        Assert.Equal(["amortised-digit4", "cifar10-conv", "lebm-digit1", "lebm-digit4", "lebm-digit5", "lebm-digit7", "lebm-digit9", "mnist-digit4", "ptb-text"], ids);
        var one = await server.Client.GetFromJsonAsync<JsonElement>(Model);
        Assert.Equal(16, one.GetProperty("manifest").GetProperty("model").GetProperty("nz").GetInt32());
        Assert.Equal("cpu", one.GetProperty("provider").GetString());
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task MetricsAreAspNetCoresHttpDurationInSecondsAndTheDomainInstruments()
    {
        await Post($"{Model}/samples", new { count = 2, seed = 1 });
        await PostRaw($"{Model}/scores", "{}");
        await server.Client.GetStringAsync("/v1/models");
        string text = await server.Client.GetStringAsync("/metrics");
        // ASP.NET Core's own request duration, in seconds with sub-second bucket bounds (0.005 ... 10 s); a fast request
        // (GET /v1/models takes milliseconds) lies below 1 s. The hand-written request counter and histogram are gone.
        var models = Buckets(text, "http_server_request_duration_seconds_bucket", "http_route=\"/v1/models\"", "http_response_status_code=\"200\"");
        double[] bounds = [.. models.Keys.Where(le => le != "+Inf").Select(le => double.Parse(le, CultureInfo.InvariantCulture)).Order()];
        Assert.Equal(0.005, bounds[0]);
        Assert.Equal(10, bounds[^1]);
        Assert.Contains(0.1, bounds);
        Assert.True(models["1"] >= 1 && models["1"] == models["+Inf"], $"requests under 1 s: {models["1"]} of {models["+Inf"]}");
        Assert.Matches("http_server_request_duration_seconds_count\\{[^}]*http_response_status_code=\"400\"[^}]*http_route=\"/v1/models/\\{id\\}/scores\"", text);
        Assert.DoesNotContain("latent_ebm_requests", text);
        Assert.DoesNotContain("latent_ebm_request_duration", text);
        // The domain instruments: chain steps, rows per micro-batch in powers of two, provider, queue depth per model.
        Assert.Matches("latent_ebm_chain_steps_total\\{[^}]*chain=\"prior\"", text);
        var rows = Buckets(text, "latent_ebm_batch_rows_bucket", "chain=\"prior\"");
        Assert.Equal(["1", "2", "4", "8", "16", "32", "64", "128", "256", "512", "1024", "2048", "4096", "+Inf"], rows.Keys);
        Assert.True(rows["1"] < rows["+Inf"], "the 2-sample request's batch holds more than 1 row");
        Assert.Matches("latent_ebm_model_provider\\{[^}]*model=\"mnist-digit4\"[^}]*provider=\"cpu\"", text);
        Assert.Matches("(?m)^latent_ebm_queued_requests\\{[^}]*model=\"mnist-digit4\"[^}]*\\} 0", text);
        Assert.Matches("(?m)^latent_ebm_queued_rows\\{[^}]*model=\"mnist-digit4\"[^}]*\\} 0", text);
    }

    /// <summary>The buckets (le -> cumulative count) of the one series of <paramref name="metric"/> whose labels hold all of <paramref name="labels"/>.</summary>
    private static Dictionary<string, double> Buckets(string text, string metric, params string[] labels)
    {
        var buckets = new Dictionary<string, double>();
        foreach (Match m in Regex.Matches(text, $"^{metric}\\{{(?<labels>[^}}]*)\\}} (?<value>\\S+)", RegexOptions.Multiline))
        {
            string all = m.Groups["labels"].Value;
            if (!labels.All(all.Contains)) continue;
            string le = Regex.Match(all, "le=\"(?<le>[^\"]*)\"").Groups["le"].Value;
            Assert.True(buckets.TryAdd(le, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)), $"two {metric} series hold {string.Join(", ", labels)}");
        }
        Assert.NotEmpty(buckets);
        return buckets;
    }

    [Fact]
    public async Task SamplesAreReproducibleBySeedAndComeAsPng()
    {
        var a = await Post($"{Model}/samples", new { count = 4, seed = 7, decode = true });
        var b = await Post($"{Model}/samples", new { count = 4, seed = 7, decode = true });
        var c = await Post($"{Model}/samples", new { count = 4, seed = 8, decode = false });
        Assert.Equal(a.GetRawText(), b.GetRawText());
        Assert.Equal(4, a.GetProperty("latents").GetArrayLength());
        Assert.Equal(784, a.GetProperty("images")[0].GetArrayLength());
        Assert.NotEqual(a.GetProperty("latents").GetRawText(), c.GetProperty("latents").GetRawText());
        Assert.Equal(JsonValueKind.Null, c.GetProperty("images").ValueKind);

        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Model}/samples") { Content = JsonContent.Create(new { count = 16, seed = 1 }) };
        request.Headers.Accept.ParseAdd("image/png");
        using var png = await server.Client.SendAsync(request);
        Assert.Equal("image/png", png.Content.Headers.ContentType!.MediaType);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], (await png.Content.ReadAsByteArrayAsync())[..4]);
    }

    [Fact]
    public async Task LatentsReconstructionsAndScoresOfRealDigits()
    {
        var images = Images(0, 6);
        var latents = await Post($"{Model}/latents", new { images, seed = 1 });
        Assert.Equal(6, latents.GetProperty("latents").GetArrayLength());
        Assert.Equal(16, latents.GetProperty("latents")[0].GetArrayLength());
        var reconstructions = await Post($"{Model}/reconstructions", new { images, seed = 1 });
        Assert.Equal(784, reconstructions.GetProperty("images")[5].GetArrayLength());
        var scores = await Post($"{Model}/scores", new { images, seed = 1 });
        Assert.Equal(6, scores.GetProperty("scores").GetArrayLength());
        // Digit 4 is the bundle's anomaly class: a 4 scores above the mean of the other digits shown.
        var labels = Mnist.Value.Labels[..6];
        var s = scores.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Contains((byte)4, labels);
        Assert.True(s.Where((_, i) => labels[i] == 4).Min() > s.Where((_, i) => labels[i] != 4).Average());
    }

    [Fact]
    public async Task ParallelRequestsGiveTheSameAnswersAsOneByOne()
    {
        var images = Images(10, 3);
        var serial = new List<string>();
        for (int seed = 0; seed < 32; seed++)
            serial.Add((await Post($"{Model}/scores", new { images, seed })).GetRawText());
        var parallel = await Task.WhenAll(Enumerable.Range(0, 32).Select(seed => Post($"{Model}/scores", new { images, seed })));
        Assert.Equal(serial, parallel.Select(p => p.GetRawText()));
    }

    [Theory]
    [InlineData("{\"images\": [[1, 2", "images", "not valid JSON")]
    [InlineData("[1, 2]", "$", "the body must be a JSON object")]
    [InlineData("{\"images\": [[1, 2]]}", "images[0]", "784 numbers, got 2 values")]
    [InlineData("{\"images\": []}", "images", "1..256 rows")]
    [InlineData("{\"images\": [[0, 1], [0]]}", "images[1]", "an array of 2 numbers, as images[0], got 1 values")]
    [InlineData("{\"images\": [[\"a\"]]}", "images[0][0]", "images[0][0] must be a finite number, got \"a\"")]
    [InlineData("{\"images\": [[1e400]]}", "images[0][0]", "images[0][0] must be a finite number, got 1e400")]
    [InlineData("{\"seed\": \"x\", \"images\": [[0]]}", "seed", "seed must be an integer in [-2147483648, 2147483647], got \"x\"")]
    [InlineData("{\"seed\": 4294967296, \"images\": [[0]]}", "seed", "seed must be an integer in [-2147483648, 2147483647], got 4294967296")]
    [InlineData("{\"seed\": 1, \"seed\": 2}", "seed", "gives seed twice")]
    [InlineData("{\"sed\": 3, \"images\": [[0]]}", "sed", "unknown field 'sed'; this endpoint takes images, seed")]
    public async Task MalformedScoreRequestsAreProblemsNamingTheField(string json, string field, string detail)
    {
        var (status, type, body) = await PostRaw($"{Model}/scores", json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", type);
        Assert.Equal(field, body.GetProperty("field").GetString());
        Assert.Contains(detail, body.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task NonFiniteAndOutOfRangeValuesAreRefused()
    {
        var row = Enumerable.Repeat(0.0, 784).ToArray();
        string huge = "[" + string.Join(",", row.Select((v, i) => i == 5 ? "1e39" : "0")) + "]";
        var (status, _, body) = await PostRaw($"{Model}/scores", $"{{\"images\": [{huge}]}}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("images[0][5]", body.GetProperty("field").GetString());

        string bright = "[" + string.Join(",", row.Select((v, i) => i == 7 ? "5.0" : "0")) + "]";
        (status, _, body) = await PostRaw($"{Model}/scores", $"{{\"images\": [{bright}]}}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("images[0][7]", body.GetProperty("field").GetString());
        Assert.Contains("pixel range [-1, 1]", body.GetProperty("detail").GetString());

        // Bytes instead of the model's scale: refused, as the ML.NET step does.
        string bytes = "[" + string.Join(",", row.Select(_ => "255")) + "]";
        (status, _, body) = await PostRaw($"{Model}/scores", $"{{\"images\": [{bytes}]}}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("images[0][0]", body.GetProperty("field").GetString());
        string ends = "[" + string.Join(",", row.Select((_, i) => i % 2 == 0 ? "-1" : "1.0005")) + "]"; // the ends, and rounding past them, are accepted
        (status, _, _) = await PostRaw($"{Model}/scores", $"{{\"images\": [{ends}]}}");
        Assert.Equal(HttpStatusCode.OK, status);

        (status, _, body) = await PostRaw($"{Model}/samples", "{\"count\": 1000000}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("count", body.GetProperty("field").GetString());
        (status, _, body) = await PostRaw($"{Model}/samples", "{\"count\": 2, \"decode\": \"yes\"}");
        Assert.Equal("decode", body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task AnUnknownModelIs404AndAHugeBodyIs413()
    {
        var (status, type, body) = await PostRaw("/v1/models/nope/scores", "{}");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("application/problem+json", type);
        Assert.Contains("nope", body.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("/v1/models/nope")).StatusCode);

        // Over the 4 MB limit. With Expect: 100-continue the client waits for the server's verdict
        // instead of pushing 6.6 MB into a connection the server closes after refusing it.
        string big = "{\"images\": [[" + string.Join(",", Enumerable.Repeat("0.123456789", 600_000)) + "]]}";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Model}/scores") { Content = new StringContent(big, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("larger than 4194304 bytes", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/readyz")).StatusCode);
    }
}
