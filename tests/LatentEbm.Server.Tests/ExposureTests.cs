using System.Net;
using LatentEbm.Server.Hosting;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Server.Tests;

/// <summary>Who can reach the service: anonymous access beyond loopback is opt-in; /metrics can need the key. Only loopback is ever bound.</summary>
public class ExposureTests
{
    private static ServerOptions Options(string urls) => new ServerFixture().Options() with { Urls = urls };

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
        var error = Assert.Throws<ArgumentException>(() => LatentEbmServer.Build(Options(urls)));
        Assert.Contains("--allow-anonymous", error.Message);
        Assert.Contains(urls.Split(';')[^1], error.Message);
        // Either way out is accepted (checked without building: nothing is bound).
        (Options(urls) with { AllowAnonymous = true }).Validate();
        (Options(urls) with { ApiKeyFile = "key" }).Validate();
    }

    [Theory]
    [InlineData("http://127.0.0.1:0")]
    [InlineData("http://127.0.0.2:8080")]
    [InlineData("http://localhost:8080")]
    [InlineData("http://LOCALHOST:8080")]
    [InlineData("http://[::1]:8080")]
    [InlineData("https://127.0.0.1:8443;http://localhost:0")]
    public void LoopbackNeedsNoKey(string urls) => Options(urls).Validate();

    [Fact]
    public void ProtectingMetricsNeedsAKey()
    {
        var error = Assert.Throws<ArgumentException>(() => (Options("http://127.0.0.1:0") with { ProtectMetrics = true }).Validate());
        Assert.Contains("--protect-metrics needs --api-key-file", error.Message);
        (Options("http://127.0.0.1:0") with { ProtectMetrics = true, ApiKeyFile = "key" }).Validate();
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
