using System.Net;
using System.Net.Http.Json;
using LatentEbm.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace LatentEbm.Server.Tests;

public class SecurityAndLoadTests
{
    [Fact]
    public async Task AnApiKeyProtectsV1ButNotHealth()
    {
        string keyFile = Path.Combine(TestPaths.NewTempFolder(), "key");
        await File.WriteAllTextAsync(keyFile, "s3cret-key\n");
        var fixture = new ServerFixture();
        var (app, client) = await ServerFixture.Start(fixture.Options(keyFile));
        await using (app)
        using (client)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/models")).StatusCode);
            using var wrong = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
            wrong.Headers.Add("X-Api-Key", "s3cret-kez");
            var refused = await client.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
            using var right = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
            right.Headers.Add("X-Api-Key", "s3cret-key");
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(right)).StatusCode);
            using var bearer = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
            bearer.Headers.Authorization = new("Bearer", "s3cret-key");
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(bearer)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task AFullQueueIs429WithRetryAfterAndTheServiceRecovers()
    {
        var fixture = new ServerFixture();
        var (app, client) = await ServerFixture.Start(fixture.Options(concurrency: 1, queue: 0));
        await using (app)
        using (client)
        {
            // 16 concurrent sample requests against one permit and no queue: some must be refused.
            var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(seed =>
                client.PostAsJsonAsync("/v1/models/mnist-digit4/samples", new { count = 64, seed })));
            Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
            var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
            Assert.NotEmpty(refused);
            Assert.All(refused, r => Assert.Equal("1", r.Headers.GetValues("Retry-After").Single()));
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/models/mnist-digit4/samples", new { count = 1 })).StatusCode);
            await app.StopAsync();
        }
    }

    [Fact]
    public void LeftoversOfExportsAreNotServedAndATypoInUrlsIsRefused()
    {
        string models = TestPaths.NewTempFolder();
        foreach (var name in new[] { "good", ".good.export-0123", "good.old-4567" })
        {
            string bundle = Path.Combine(models, name);
            Directory.CreateDirectory(bundle);
            foreach (var f in Directory.GetFiles(Path.Combine(TestPaths.RepositoryRoot, "models", "mnist-digit4"))) File.Copy(f, Path.Combine(bundle, Path.GetFileName(f)));
        }
        var options = new ServerFixture().Options() with { ModelsFolder = models };
        var app = Hosting.LatentEbmServer.Build(options);
        Assert.Equal(["good"], app.Services.GetRequiredService<Hosting.ModelRegistry>().Ids);
        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => Hosting.LatentEbmServer.Build(options with { Urls = "http://127.0.0.1:18080x" }));
        Assert.Equal(["Server:Urls (--urls): 'http://127.0.0.1:18080x' is not an http(s) address with a port, e.g. http://127.0.0.1:8080"], error.Failures);
    }

    [Fact]
    public void ADamagedBundleStopsTheServerFromStartingWithTheFileNamed()
    {
        string models = TestPaths.NewTempFolder();
        string bundle = Path.Combine(models, "broken");
        Directory.CreateDirectory(bundle);
        foreach (var f in Directory.GetFiles(Path.Combine(TestPaths.RepositoryRoot, "models", "mnist-digit4"))) File.Copy(f, Path.Combine(bundle, Path.GetFileName(f)));
        File.WriteAllText(Path.Combine(bundle, "decoder.onnx"), "not a model");
        var options = new ServerFixture().Options() with { ModelsFolder = models };
        var error = Assert.Throws<LatentEbm.Inference.Bundles.BundleException>(() => Hosting.LatentEbmServer.Build(options));
        Assert.Contains("decoder.onnx", error.Message);
    }
}
