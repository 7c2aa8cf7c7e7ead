using System.Net;
using LatentEbm.Server.Hosting;
using LatentEbm.Tests.Shared;
using Microsoft.Extensions.Options;

namespace LatentEbm.Server.Tests;

/// <summary>Who can reach the service: anonymous access beyond loopback is opt-in; /metrics can need the key. Only loopback is ever bound.</summary>
public class ExposureTests
{
    private static ServerOptions Options(string urls) => new ServerFixture().Options() with { Urls = urls };

    /// <summary>The failures of <paramref name="options"/> (none: valid), checked without building: nothing is bound.</summary>
    private static IEnumerable<string> Failures(ServerOptions options) => new ServerOptionsValidator().Validate(null, options).Failures ?? [];

    [Theory]
    [InlineData("http://0.0.0.0:8080")]
    [InlineData("http://*:8080")]
    [InlineData("http://+:8080")]
    [InlineData("http://[::]:8080")]
    [InlineData("http://192.168.1.10:8080")]
    [InlineData("http://example.com:8080")]
    [InlineData("http://127.0.0.1:0;http://0.0.0.0:8080")]
    public void AnAddressBeyondLoopbackWithoutAKeyIsRefusedBeforeAnythingStarts(string urls)
    {
        var error = Assert.Throws<OptionsValidationException>(() => LatentEbmServer.Build(Options(urls)));
        string failure = Assert.Single(error.Failures);
        Assert.StartsWith($"Server:Urls (--urls): {urls.Split(';')[^1]} is reachable beyond this machine", failure);
        Assert.Contains("Server:AllowAnonymous (--allow-anonymous)", failure);
        // Either way out is accepted.
        Assert.Empty(Failures(Options(urls) with { AllowAnonymous = true }));
        Assert.Empty(Failures(Options(urls) with { ApiKeyFile = "key" }));
    }

    [Theory]
    [InlineData("http://127.0.0.1:0")]
    [InlineData("http://127.0.0.2:8080")]
    [InlineData("http://localhost:8080")]
    [InlineData("http://LOCALHOST:8080")]
    [InlineData("http://[::1]:8080")]
    [InlineData("https://127.0.0.1:8443;http://localhost:0")]
    public void LoopbackNeedsNoKey(string urls) => Assert.Empty(Failures(Options(urls)));

    [Fact]
    public void ProtectingMetricsNeedsAKey()
    {
        Assert.Equal(["Server:ProtectMetrics (--protect-metrics) needs Server:ApiKeyFile (--api-key-file) (the key that /metrics is to check)"],
            Failures(Options("http://127.0.0.1:0") with { ProtectMetrics = true }));
        Assert.Empty(Failures(Options("http://127.0.0.1:0") with { ProtectMetrics = true, ApiKeyFile = "key" }));
    }

    [Theory]
    [InlineData(true, HttpStatusCode.Unauthorized)]
    [InlineData(false, HttpStatusCode.OK)]
    public async Task ProtectMetricsPutsMetricsBehindTheKey(bool protectMetrics, HttpStatusCode withoutKey)
    {
        string keyFile = Path.Combine(TestPaths.NewTempFolder(), "key");
        await File.WriteAllTextAsync(keyFile, "m3trics-key");
        var (app, client) = await ServerFixture.Start(new ServerFixture().Options(keyFile) with { ProtectMetrics = protectMetrics });
        await using (app)
        using (client)
        {
            Assert.Equal(withoutKey, (await client.GetAsync("/metrics")).StatusCode);
            using var wrong = new HttpRequestMessage(HttpMethod.Get, "/metrics");
            wrong.Headers.Authorization = new("Bearer", "m3trics-kez");
            Assert.Equal(withoutKey, (await client.SendAsync(wrong)).StatusCode);
            using var right = new HttpRequestMessage(HttpMethod.Get, "/metrics");
            right.Headers.Add("X-Api-Key", "m3trics-key");
            var scraped = await client.SendAsync(right);
            Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
            Assert.Contains("# TYPE", await scraped.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode); // health stays open
            await app.StopAsync();
        }
    }
}
