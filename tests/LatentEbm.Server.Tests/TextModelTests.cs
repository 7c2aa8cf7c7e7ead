using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LatentEbm.Inference.Runtime;
using LatentEbm.Inference.Text;
using LatentEbm.Tests.Shared;
using Microsoft.AspNetCore.Builder;

namespace LatentEbm.Server.Tests;

/// <summary>
/// A text bundle (the fixture model of <see cref="TinyTextBundle"/>: V 11, nz 3, at most 9 words) served beside the shipped
/// image bundle mnist-digit4 on a real Kestrel server: /samples, /latents and /scores answer as
/// <see cref="TextLatentEbmInference"/> called directly with the same seed; unknown words read as &lt;unk&gt;; unreadable
/// input is a 400 naming the field, and a body of the other kind of model a 400 naming the model's kind.
/// </summary>
public sealed class TextModelTests(ServerFixture server) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private const string Text = "/v1/models/text-tiny";
    private const string Image = "/v1/models/mnist-digit4";
    private WebApplication? app;
    private HttpClient client = null!;

    public async Task InitializeAsync()
    {
        // One models folder holding the tiny text bundle and a shipped image bundle (links to both).
        string folder = TestPaths.NewTempFolder();
        Directory.CreateSymbolicLink(Path.Combine(folder, "text-tiny"), TinyTextBundle.Bundle);
        Directory.CreateSymbolicLink(Path.Combine(folder, "mnist-digit4"), Path.Combine(TestPaths.RepositoryRoot, "models", "mnist-digit4"));
        (app, client) = await ServerFixture.Start(server.Options() with { ModelsFolder = folder });
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        if (app is not null) { await app.StopAsync(); await app.DisposeAsync(); }
    }

    private static TextLatentEbmInference Library() =>
        TextLatentEbmInference.Open(TinyTextBundle.Bundle, new ExecutionOptions(ExecutionProvider.Cpu, IntraOpThreads: 1));

    private async Task<JsonElement> Post(string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private async Task<JsonElement> Problem(string path, object body, string field)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(field, problem.GetProperty("field").GetString());
        return problem;
    }

    private static float[] Floats(JsonElement e) =>
        [.. e.EnumerateArray().SelectMany(x => x.ValueKind == JsonValueKind.Array ? x.EnumerateArray().Select(v => v.GetSingle()) : [x.GetSingle()])];

    [Fact]
    public async Task TheModelListShowsEachModelsKind()
    {
        var models = (await client.GetFromJsonAsync<JsonElement>("/v1/models")).GetProperty("models").EnumerateArray()
            .ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("kind").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["mnist-digit4"] = "image", ["text-tiny"] = "text" }, models);
        var text = await client.GetFromJsonAsync<JsonElement>(Text);
        Assert.Equal("text", text.GetProperty("kind").GetString());
        Assert.Equal("text", text.GetProperty("manifest").GetProperty("observation").GetProperty("kind").GetString());
        Assert.Equal(TinyTextBundle.MaxWords, text.GetProperty("manifest").GetProperty("observation").GetProperty("max_words").GetInt32());
        Assert.Equal(3, text.GetProperty("manifest").GetProperty("model").GetProperty("nz").GetInt32());
        Assert.Equal("image", (await client.GetFromJsonAsync<JsonElement>(Image)).GetProperty("kind").GetString());
    }

    [Fact]
    public async Task SamplesEqualTheLibrarysWithTheSameSeedAndTemperature()
    {
        using var library = Library();
        foreach (var (seed, temperature) in new[] { (7, 0.0), (7, 0.8), (-3, 2.5) })
        {
            var answer = await Post($"{Text}/samples", new { count = 6, seed, temperature });
            Assert.Equal(seed, answer.GetProperty("seed").GetInt32());
            var expected = library.Sample(6, seed, temperature);
            var sentences = answer.GetProperty("sentences").EnumerateArray().ToArray();
            Assert.Equal(expected.Count, sentences.Length);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].Text, sentences[i].GetProperty("text").GetString());
                Assert.Equal(expected[i].Words, sentences[i].GetProperty("words").EnumerateArray().Select(w => w.GetString()!).ToArray());
                Assert.Equal(expected[i].Latent, Floats(sentences[i].GetProperty("latent")));
                Assert.Equal(expected[i].Ended, sentences[i].GetProperty("ended").GetBoolean());
            }
        }
        // The default temperature is 1 (the decoder's own distribution), and another seed is another draw.
        var byDefault = await Post($"{Text}/samples", new { count = 6, seed = 7 });
        Assert.Equal(library.Sample(6, 7, 1).Select(s => s.Text), byDefault.GetProperty("sentences").EnumerateArray().Select(s => s.GetProperty("text").GetString()));
        var other = await Post($"{Text}/samples", new { count = 6, seed = 8 });
        Assert.True(FloatAsserts.Differ(Floats(byDefault.GetProperty("sentences")[0].GetProperty("latent")), Floats(other.GetProperty("sentences")[0].GetProperty("latent"))));
    }

    [Fact]
    public async Task LatentsAndScoresEqualTheLibrarysAndReportUnknownWords()
    {
        string[] sentences = ["alpha bravo charlie", "golf zulu echo yankee", "delta", "foxtrot alpha golf bravo echo charlie delta alpha bravo"];
        const int seed = 11;
        using var library = Library();
        var latents = await Post($"{Text}/latents", new { sentences, seed });
        Assert.Equal(seed, latents.GetProperty("seed").GetInt32());
        var rows = latents.GetProperty("latents").EnumerateArray().ToArray();
        Assert.Equal(sentences.Length, rows.Length);
        Assert.All(rows, r => Assert.Equal(library.Nz, r.GetArrayLength()));
        Assert.Equal(library.InferLatents(sentences, seed), Floats(latents.GetProperty("latents")));

        var read = latents.GetProperty("sentences").EnumerateArray().ToArray();
        Assert.Equal(["golf", "<unk>", "echo", "<unk>"], read[1].GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToArray());
        Assert.Equal([0, 2, 0, 0], read.Select(r => r.GetProperty("unknown_words").GetInt32()));
        Assert.Equal(["alpha", "bravo", "charlie"], read[0].GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToArray());

        var scores = await Post($"{Text}/scores", new { sentences, seed });
        Assert.Equal(library.Score(sentences, seed), Floats(scores.GetProperty("scores")));
        // An unknown word scores as <unk> itself; another seed is another posterior draw.
        Assert.Equal(library.Score(["golf <unk> echo <unk>"], seed), Floats((await Post($"{Text}/scores", new { sentences = new[] { "golf zulu echo yankee" }, seed })).GetProperty("scores")));
        Assert.True(FloatAsserts.Differ(Floats(scores.GetProperty("scores")), Floats((await Post($"{Text}/scores", new { sentences, seed = seed + 1 })).GetProperty("scores"))));
    }

    [Fact]
    public async Task AnOverLongSentenceIsA400NamingTheLimitTheIndexAndTheLength()
    {
        string tooLong = string.Join(' ', Enumerable.Repeat("alpha", TinyTextBundle.MaxWords + 1));
        string atLimit = string.Join(' ', Enumerable.Repeat("alpha", TinyTextBundle.MaxWords));
        foreach (var route in new[] { "latents", "scores" })
        {
            var problem = await Problem($"{Text}/{route}", new { sentences = new[] { atLimit, tooLong }, seed = 1 }, "sentences[1]");
            string detail = problem.GetProperty("detail").GetString()!;
            Assert.Contains($"sentence 1 has {TinyTextBundle.MaxWords + 1} words", detail);
            Assert.Contains($"at most {TinyTextBundle.MaxWords}", detail);
            Assert.Equal(TinyTextBundle.MaxWords, problem.GetProperty("limit").GetInt32());
            Assert.Equal(1, problem.GetProperty("index").GetInt32());
            Assert.Equal(TinyTextBundle.MaxWords + 1, problem.GetProperty("words").GetInt32());
            Assert.Equal("too_long", problem.GetProperty("problem").GetString());
        }
        // At the limit it is read.
        await Post($"{Text}/scores", new { sentences = new[] { atLimit }, seed = 1 });
    }

    [Fact]
    public async Task BadTextInputIsA400NamingTheField()
    {
        Assert.Equal("empty", (await Problem($"{Text}/scores", new { sentences = new[] { "alpha", "   " } }, "sentences[1]")).GetProperty("problem").GetString());
        Assert.Equal("reserved_token", (await Problem($"{Text}/latents", new { sentences = new[] { "alpha </s>" } }, "sentences[0]")).GetProperty("problem").GetString());
        await Problem($"{Text}/scores", new { sentences = Array.Empty<string>() }, "sentences");
        await Problem($"{Text}/scores", new { sentences = new object[] { "alpha", 3 } }, "sentences[1]");
        await Problem($"{Text}/scores", new { seed = 1 }, "sentences");
        Assert.Contains("[0, 100]", (await Problem($"{Text}/samples", new { count = 2, temperature = 100.5 }, "temperature")).GetProperty("detail").GetString());
        Assert.Contains("[0, 100]", (await Problem($"{Text}/samples", new { count = 2, temperature = -0.1 }, "temperature")).GetProperty("detail").GetString());
        Assert.Equal("count must be an integer in [1, 256], got 0", (await Problem($"{Text}/samples", new { count = 0 }, "count")).GetProperty("detail").GetString());
        await Problem($"{Text}/samples", new { count = 257 }, "count");
        await Problem($"{Text}/samples", new { count = 2, sed = 1 }, "sed");
        await Problem($"{Text}/scores?start=noise", new { sentences = new[] { "alpha" } }, "start");
        await Post($"{Text}/samples", new { count = 2, temperature = 100 });
    }

    [Fact]
    public async Task ABodyOfTheOtherKindOfModelIsA400NamingTheModelsKind()
    {
        var images = new[] { new float[28 * 28] };
        Assert.Contains("model text-tiny is a text model", (await Problem($"{Text}/latents", new { images }, "images")).GetProperty("detail").GetString());
        Assert.Contains("model text-tiny is a text model", (await Problem($"{Text}/samples", new { count = 2, decode = false }, "decode")).GetProperty("detail").GetString());
        Assert.Contains("model text-tiny is a text model", (await Problem($"{Text}/reconstructions", new { sentences = new[] { "alpha" } }, "id")).GetProperty("detail").GetString());
        Assert.Contains("model mnist-digit4 is an image model", (await Problem($"{Image}/scores", new { sentences = new[] { "alpha" } }, "sentences")).GetProperty("detail").GetString());
        Assert.Contains("model mnist-digit4 is an image model", (await Problem($"{Image}/samples", new { count = 2, temperature = 1 }, "temperature")).GetProperty("detail").GetString());
        // The image routes still answer image bodies.
        Assert.Equal(1, (await Post($"{Image}/scores", new { images, seed = 1 })).GetProperty("scores").GetArrayLength());
        Assert.Equal(2, (await Post($"{Image}/samples", new { count = 2, decode = false })).GetProperty("latents").GetArrayLength());
    }

    [Fact]
    public async Task TextRoutesNeedTheApiKeyAsImageRoutesDo()
    {
        string keyFile = Path.Combine(TestPaths.NewTempFolder(), "key");
        await File.WriteAllTextAsync(keyFile, server.ApiKey);
        var (keyed, keyedClient) = await ServerFixture.Start(server.Options(keyFile) with { ModelsFolder = Path.GetDirectoryName(TinyTextBundle.Bundle)! });
        try
        {
            using (var refused = await keyedClient.PostAsJsonAsync($"{Text}/scores", new { sentences = new[] { "alpha" } }))
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            keyedClient.DefaultRequestHeaders.Authorization = new("Bearer", server.ApiKey);
            using var admitted = await keyedClient.PostAsJsonAsync($"{Text}/scores", new { sentences = new[] { "alpha" } });
            Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        }
        finally
        {
            keyedClient.Dispose();
            await keyed.StopAsync();
            await keyed.DisposeAsync();
        }
    }
}
