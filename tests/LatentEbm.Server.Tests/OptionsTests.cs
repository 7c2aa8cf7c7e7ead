using System.CommandLine;
using System.Net;
using LatentEbm.Inference.Runtime;
using LatentEbm.Server.Hosting;
using LatentEbm.Tests.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LatentEbm.Server.Tests;

/// <summary>
/// ServerOptions: bound from configuration (appsettings.json, environment variables) and the command line, which wins,
/// checked at start; an impossible value stops the start with a message naming the option's key and flag.
/// </summary>
[Collection(nameof(EnvironmentCollection))]
public class OptionsTests
{
    /// <summary>Invokes the server's root command in process; the token ends a server that wrongly started.</summary>
    private static async Task<(int Code, string Error)> Invoke(params string[] args)
    {
        var root = ServeCommandLine.Configure(new RootCommand("latent-ebm-server"));
        var error = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = new StringWriter(), Error = error }, stop.Token);
        return (code, error.ToString());
    }

    /// <summary>Valid settings with an empty models folder (nothing to load), on loopback.</summary>
    private static ServerOptions Valid() => new() { ModelsFolder = TestPaths.NewTempFolder(), Urls = "http://127.0.0.1:0", Provider = ExecutionProvider.Cpu };

    [Theory]
    [InlineData("--concurrency", "0", "Server:Concurrency (--concurrency) must be 1..4096, got 0")]
    [InlineData("--concurrency", "4097", "Server:Concurrency (--concurrency) must be 1..4096, got 4097")]
    [InlineData("--queue-limit", "-1", "Server:QueueLimit (--queue-limit) must be 0..65536, got -1")]
    [InlineData("--max-body-bytes", "0", "Server:MaxBodyBytes (--max-body-bytes) must be 1..1073741824, got 0")]
    [InlineData("--max-samples", "0", "Server:MaxSamples (--max-samples) must be 1..4096, got 0")]
    [InlineData("--max-images", "5000", "Server:MaxImages (--max-images) must be 1..4096, got 5000")]
    [InlineData("--max-sentences", "0", "Server:MaxSentences (--max-sentences) must be 1..4096, got 0")]
    [InlineData("--batch-wait-ms", "-0.5", "Server:BatchWaitMilliseconds (--batch-wait-ms) must be 0..1000, got -0.5")]
    [InlineData("--batch-wait-ms", "60000", "Server:BatchWaitMilliseconds (--batch-wait-ms) must be 0..1000, got 60000")]
    [InlineData("--batch-wait-ms", "NaN", "Server:BatchWaitMilliseconds (--batch-wait-ms) must be 0..1000, got NaN")]
    [InlineData("--device-id", "-1", "Server:DeviceId (--device-id) must be 0..255, got -1")]
    [InlineData("--intra-op-threads", "-2", "Server:IntraOpThreads (--intra-op-threads) must be 0..1024, got -2")]
    [InlineData("--models", "", "Server:ModelsFolder (--models) must be given (not empty), got ''")]
    [InlineData("--urls", "http://127.0.0.1:8O80", "Server:Urls (--urls): 'http://127.0.0.1:8O80' is not an http(s) address with a port")]
    public async Task AnImpossibleFlagStopsTheStartNamingItsKeyAndFlag(string flag, string value, string message)
    {
        string[] valid = ["--models", Valid().ModelsFolder, "--urls", "http://127.0.0.1:0"];
        int replaced = Array.IndexOf(valid, flag);
        if (replaced >= 0) valid[replaced + 1] = value;
        var (code, error) = await Invoke(replaced >= 0 ? valid : [.. valid, flag, value]);
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {message}", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries)); // only that option is refused
    }

    [Fact]
    public async Task EveryRefusedOptionIsNamedAtOnceAndTheBoundariesAreAccepted()
    {
        var error = Assert.Throws<OptionsValidationException>(() => LatentEbmServer.Build(Valid() with
        {
            Concurrency = 0, QueueLimit = -1, MaxBodyBytes = 0, BatchWaitMilliseconds = double.PositiveInfinity, MaxSamples = 0,
            Provider = (ExecutionProvider)7, ProtectMetrics = true,
        }));
        Assert.Equal([
            "Server:Provider (--provider) must be one of auto, cpu, cuda, got 7",
            "Server:MaxBodyBytes (--max-body-bytes) must be 1..1073741824, got 0",
            "Server:MaxSamples (--max-samples) must be 1..4096, got 0",
            "Server:Concurrency (--concurrency) must be 1..4096, got 0",
            "Server:QueueLimit (--queue-limit) must be 0..65536, got -1",
            "Server:BatchWaitMilliseconds (--batch-wait-ms) must be 0..1000, got Infinity",
            "Server:ProtectMetrics (--protect-metrics) needs Server:ApiKeyFile (--api-key-file) (the key that /metrics is to check)",
        ], error.Failures);
        foreach (var edge in new[]
                 {
                     Valid() with { Concurrency = 1, QueueLimit = 0, MaxBodyBytes = 1, BatchWaitMilliseconds = 0, MaxSamples = 1, MaxImages = 1, MaxSentences = 1 },
                     Valid() with { Concurrency = 4096, QueueLimit = 65536, MaxBodyBytes = 1L << 30, BatchWaitMilliseconds = 1000, MaxSamples = 4096, DeviceId = 255, IntraOpThreads = 1024 },
                     Valid() with { MaxBodyBytes = 1000, MaxRequestBytesInFlight = 1000, MaxImages = 7, MaxSamples = 7, MaxSentences = 7, MaxQueuedRowsPerModel = 7 },
                 })
        {
            await using var app = LatentEbmServer.Build(edge);
            Assert.Equal(edge, app.Services.GetRequiredService<ServerOptions>());
        }
    }

    [Fact]
    public async Task CommandLineOverridesEnvironmentOverridesAppSettingsOverridesDefaults()
    {
        string root = TestPaths.NewTempFolder();
        string models = TestPaths.NewTempFolder();
        await File.WriteAllTextAsync(Path.Combine(root, "appsettings.json"), $$"""
            { "Server": { "ModelsFolder": "{{models}}", "Urls": "http://127.0.0.1:0", "Provider": "cpu", "Concurrency": 5, "QueueLimit": 7, "MaxImages": 11 } }
            """);
        using var environment = new EnvironmentVariables(("Server__QueueLimit", "9"), ("Server__MaxImages", "13"));
        await using var app = LatentEbmServer.Build(["--contentRoot", root], [KeyValuePair.Create("Server:MaxImages", (string?)"17")]);
        var options = app.Services.GetRequiredService<ServerOptions>();
        Assert.Equal((models, 5, 9, 17, 256), (options.ModelsFolder, options.Concurrency, options.QueueLimit, options.MaxImages, options.MaxSamples));
        Assert.Equal(ExecutionProvider.Cpu, options.Execution.Provider);
        Assert.Same(options, app.Services.GetRequiredService<IOptions<ServerOptions>>().Value); // handlers get the checked instance
    }

    [Fact]
    public async Task AGivenFlagOverridesTheEnvironmentAndAnAbsentOneLeavesIt()
    {
        string models = Valid().ModelsFolder;
        using (new EnvironmentVariables(("Server__Concurrency", "0"), ("Server__QueueLimit", "-3"), ("Server__ApiKeyFile", "/no/such/key")))
        {
            // The environment's concurrency 0 is overridden by the flag; its queue limit, with no flag, is refused.
            var (code, error) = await Invoke("--models", models, "--urls", "http://127.0.0.1:0", "--concurrency", "3");
            Assert.Equal(1, code);
            Assert.Equal("error: Server:QueueLimit (--queue-limit) must be 0..65536, got -3", error.Trim());
            // A ServerOptions value (tests, benchmarks) is exact: every option, set or not (ApiKeyFile null), hides the environment's.
            var given = Valid() with { Concurrency = 2 };
            await using var exact = LatentEbmServer.Build(given);
            Assert.Equal(given, exact.Services.GetRequiredService<ServerOptions>());
        }
        using (new EnvironmentVariables(("Server__Concurency", "8")))
        {
            // A key in the section that names no option is refused, as an unknown flag is.
            var (code, error) = await Invoke("--models", models, "--urls", "http://127.0.0.1:0");
            Assert.Equal(1, code);
            Assert.Contains("'Concurency'", error);
        }
    }

    [Fact]
    public void AConfigurationValueOfTheWrongTypeNamesItsKey()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            LatentEbmServer.Build([], [.. Valid().ToConfiguration().Where(p => p.Key != "Server:Concurrency"), KeyValuePair.Create("Server:Concurrency", (string?)"many")]));
        Assert.Contains("Server:Concurrency", error.Message);
    }

    [Fact]
    public async Task AValidStartServesWithTheSettingsGiven()
    {
        await using var app = LatentEbmServer.Build(Valid() with { Concurrency = 3, MaxBodyBytes = 1000 });
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(3, app.Services.GetRequiredService<ServerOptions>().Concurrency);
        Assert.Equal(1000, app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxRequestBodySize);
        await app.StopAsync();
    }
}

/// <summary>Tests that set process environment variables run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(EnvironmentCollection), DisableParallelization = true)]
public sealed class EnvironmentCollection;

/// <summary>Sets environment variables for its lifetime, then restores them.</summary>
internal sealed class EnvironmentVariables : IDisposable
{
    private readonly (string Name, string? Old)[] saved;

    public EnvironmentVariables(params (string Name, string Value)[] variables)
    {
        saved = [.. variables.Select(v => (v.Name, Environment.GetEnvironmentVariable(v.Name)))];
        foreach (var (name, value) in variables) Environment.SetEnvironmentVariable(name, value);
    }

    public void Dispose()
    {
        foreach (var (name, old) in saved) Environment.SetEnvironmentVariable(name, old);
    }
}
