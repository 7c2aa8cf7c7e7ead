using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LatentEbm.Data.Datasets;
using LatentEbm.Inference;
using LatentEbm.Inference.Runtime;
using LatentEbm.Tests.Shared;
using Microsoft.AspNetCore.Builder;

namespace LatentEbm.Server.Tests;

/// <summary>
/// A bundle with an encoder (the tiny amortised MNIST run of <see cref="TinyAmortisedBundle"/>) through the service on a real
/// Kestrel server: /latents, /reconstructions and /scores start their chains at the encoder's mean, as the inference
/// library's encoder path does, and <c>?start=noise</c> runs the paper's chain from noise instead.
/// </summary>
public sealed class AmortisedModelTests(ServerFixture server) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private const string Model = "/v1/models/mnist-amortised-tiny";
    private static readonly Lazy<LabeledImages> Mnist = new(() => ImageDatasets.LoadSplit(TestPaths.Mnist, train: false));
    private WebApplication? app;
    private HttpClient client = null!;

    public async Task InitializeAsync()
    {
        // The tiny bundle's own temporary folder holds it alone: serve that folder.
        var options = server.Options() with { ModelsFolder = Path.GetDirectoryName(TinyAmortisedBundle.Bundle)! };
        (app, client) = await ServerFixture.Start(options);
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        if (app is not null) { await app.StopAsync(); await app.DisposeAsync(); }
    }

    private static float[][] Images(int count) => [.. Enumerable.Range(0, count).Select(i => Mnist.Value.Image(i).ToArray())];

    private static LatentEbmInference Library() =>
        LatentEbmInference.Open(TinyAmortisedBundle.Bundle, new ExecutionOptions(ExecutionProvider.Cpu, IntraOpThreads: 1));

    private static async Task<float[]> Post(HttpClient client, string path, string property, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        var value = JsonDocument.Parse(text).RootElement.GetProperty(property);
        return [.. value.EnumerateArray().SelectMany(e => e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().Select(v => v.GetSingle()) : [e.GetSingle()])];
    }

    private static void AssertClose(float[] expected, float[] actual) => FloatAsserts.AssertClose(expected, actual);

    private static bool Differ(float[] a, float[] b) => FloatAsserts.Differ(a, b);

    [Fact]
    public async Task PosteriorRoutesStartAtTheEncoderAndStartNoiseRunsTheChainFromNoise()
    {
        const int n = 5, seed = 3;
        var images = Images(n);
        var flat = images.SelectMany(r => r).ToArray();
        using var library = Library();
        var model = await client.GetFromJsonAsync<JsonElement>(Model);
        Assert.Equal("encoder", model.GetProperty("manifest").GetProperty("model").GetProperty("posterior_start").GetString());
        Assert.Equal(TinyAmortisedBundle.EncoderSteps, model.GetProperty("manifest").GetProperty("score").GetProperty("encoder_steps").GetInt32());

        // The manifest's chain settings (noiseless here): the seed reaches the chain from noise through its start.
        foreach (var (route, property) in new[] { ("latents", "latents"), ("reconstructions", "images"), ("scores", "scores") })
        {
            var fromEncoder = await Post(client, $"{Model}/{route}", property, new { images, seed });
            var explicitEncoder = await Post(client, $"{Model}/{route}?start=encoder", property, new { images, seed });
            var fromNoise = await Post(client, $"{Model}/{route}?start=noise", property, new { images, seed });
            var noisy = library.Manifest.Score.Noise;
            ChainSettings Chain(PosteriorStartMode start) => new(Noise: noisy, Start: start);
            float[] Expected(PosteriorStartMode start) => route switch
            {
                "latents" => library.InferLatents(flat, n, seed, Chain(start)),
                "reconstructions" => library.Reconstruct(flat, n, seed, Chain(start)),
                _ => library.Score(flat, n, seed, Chain(start)),
            };
            AssertClose(Expected(PosteriorStartMode.Encoder), fromEncoder);
            AssertClose(fromEncoder, explicitEncoder);
            AssertClose(Expected(PosteriorStartMode.Noise), fromNoise);
            Assert.True(Differ(fromEncoder, fromNoise), $"{route}: the noise-started chain gave the encoder's answer");
        }

        string metrics = await client.GetStringAsync("/metrics");
        Assert.Matches("latent_ebm_chain_steps_total\\{[^}]*chain=\"amortised_posterior\"", metrics);
        Assert.Matches("latent_ebm_chain_steps_total\\{[^}]*chain=\"posterior\"", metrics);
    }

    [Fact]
    public async Task AnUnknownStartIsA400NamingTheParameter()
    {
        var images = Images(1);
        foreach (string query in new[] { "start=prior", "start=Encoder", "start=noise&start=encoder" })
        {
            using var response = await client.PostAsJsonAsync($"{Model}/scores?{query}", new { images });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("start", problem.GetProperty("field").GetString());
            Assert.Contains("start", problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task StartEncoderOnABundleWithoutAnEncoderIsA400NamingTheProblem()
    {
        // The shipped default bundle (schema 1) has no encoder: start=noise is its usual chain, start=encoder a 400.
        var images = Images(2);
        const string plain = "/v1/models/mnist-digit4";
        using var response = await server.Client.PostAsJsonAsync($"{plain}/latents?start=encoder", new { images, seed = 1 });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("start", problem.GetProperty("field").GetString());
        Assert.Contains("model mnist-digit4 has no encoder", problem.GetProperty("detail").GetString());
        Assert.Equal(await Post(server.Client, $"{plain}/latents", "latents", new { images, seed = 1 }),
            await Post(server.Client, $"{plain}/latents?start=noise", "latents", new { images, seed = 1 }));
    }
}
