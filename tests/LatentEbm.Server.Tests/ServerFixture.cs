using LatentEbm.Inference.Runtime;
using LatentEbm.Server.Hosting;
using LatentEbm.Tests.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace LatentEbm.Server.Tests;

/// <summary>A real Kestrel server on 127.0.0.1 with an ephemeral port, serving the shipped default bundle.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private WebApplication? app;

    public HttpClient Client { get; private set; } = null!;

    /// <summary>The fixture's application (its endpoints, its services).</summary>
    public WebApplication App => app ?? throw new InvalidOperationException("the fixture has not started");

    public string ApiKey { get; } = "test-key-" + Guid.NewGuid().ToString("N");

    /// <summary>Options of the fixture's server; tests may start others.</summary>
    public ServerOptions Options(string? keyFile = null, int concurrency = 2, int queue = 64) => new()
    {
        ModelsFolder = Path.Combine(TestPaths.RepositoryRoot, "models"),
        Urls = "http://127.0.0.1:0",
        ApiKeyFile = keyFile,
        Provider = ExecutionProvider.Cpu,
        IntraOpThreads = 1,
        Concurrency = concurrency,
        QueueLimit = queue,
        MaxBodyBytes = 4 * 1024 * 1024,
    };

    public static async Task<(WebApplication App, HttpClient Client)> Start(ServerOptions options)
    {
        var app = LatentEbmServer.Build(options);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(2) });
    }

    public async Task InitializeAsync() => (app, Client) = await Start(Options());

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (app is not null) { await app.StopAsync(); await app.DisposeAsync(); }
    }
}
