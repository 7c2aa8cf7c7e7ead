using System.Net;
using System.Text.Json;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Server.Tests;

/// <summary>/healthz (liveness: no checks) and /readyz (readiness: each bundle loaded), ASP.NET Core health checks.</summary>
public class HealthTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task ReadinessListsEachBundleLoadedWithItsKindAndProvider()
    {
        using var ready = await server.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("application/json", ready.Content.Headers.ContentType!.MediaType);
        var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        var bundles = body.GetProperty("checks").GetProperty("bundles");
        Assert.Equal("Healthy", bundles.GetProperty("status").GetString());
        Assert.Equal("9 bundle(s) loaded", bundles.GetProperty("description").GetString());
        var data = bundles.GetProperty("data");
        Assert.Equal(9, data.EnumerateObject().Count());
        Assert.Equal("""{"kind":"image","provider":"cpu","status":"loaded"}""", data.GetProperty("mnist-digit4").GetRawText());
        Assert.Equal("""{"kind":"text","provider":"cpu","status":"loaded"}""", data.GetProperty("ptb-text").GetRawText());
    }

    [Fact]
    public async Task LivenessRunsNoCheckAndBothAnswerGetAndHeadOnly()
    {
        var live = JsonDocument.Parse(await server.Client.GetStringAsync("/healthz")).RootElement;
        Assert.Equal("""{"status":"Healthy","checks":{}}""", live.GetRawText());
        foreach (var path in new[] { "/healthz", "/readyz" })
        {
            using var head = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
            using var post = await server.Client.PostAsync(path, null);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        }
    }

    [Fact]
    public async Task WithNoBundleTheServiceIsAliveButNotReady()
    {
        var (app, client) = await ServerFixture.Start(server.Options() with { ModelsFolder = TestPaths.NewTempFolder() });
        await using (app)
        using (client)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
            using var ready = await client.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("Unhealthy", body.GetProperty("status").GetString());
            var bundles = body.GetProperty("checks").GetProperty("bundles");
            Assert.Equal("Unhealthy", bundles.GetProperty("status").GetString());
            Assert.StartsWith("no model bundle is loaded", bundles.GetProperty("description").GetString());
            Assert.Empty(bundles.GetProperty("data").EnumerateObject());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/readyz"))).StatusCode);
            await app.StopAsync();
        }
    }
}
