using System.CommandLine;
using LatentEbm.Server.Hosting;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Server.Tests;

/// <summary>The command line of latent-ebm-server (its Program runs exactly this root command) and of latent-ebm serve.</summary>
public class CommandLineTests
{
    private static readonly string Models = Path.Combine(TestPaths.RepositoryRoot, "models");

    /// <summary>Invokes the server's root command in process; the token ends a server that wrongly started.</summary>
    private static async Task<(int Code, string Output, string Error)> Invoke(params string[] args)
    {
        var root = ServeCommandLine.Configure(new RootCommand("latent-ebm-server"));
        var (output, error) = (new StringWriter(), new StringWriter());
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, stop.Token);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("--api-key", "secret.txt")]                   // for --api-key-file: would start with no key
    [InlineData("--model", "models-nc")]                      // for --models
    [InlineData("--url", "http://127.0.0.1:0")]               // for --urls
    public async Task AnUnknownOptionIsAnErrorNamingItAndNothingStarts(string option, string value)
    {
        // Valid settings besides the typo: were it ignored, the server would start and run until the token ends it (exit 0).
        var (code, _, error) = await Invoke("--models", Models, "--urls", "http://127.0.0.1:0", option, value);
        Assert.Equal(1, code);
        Assert.Contains($"'{option}'", error);
        Assert.DoesNotContain("error: ", error); // refused by the parser, before the action
    }

    [Fact]
    public void TheSpelledOutOptionsParse()
    {
        var root = ServeCommandLine.Configure(new RootCommand("latent-ebm-server"));
        var parse = root.Parse(["--api-key-file", "secret.txt", "--models", "models-nc", "--urls", "http://127.0.0.1:0", "--protect-metrics", "--allow-anonymous"]);
        Assert.Empty(parse.Errors);
        Assert.NotEmpty(root.Parse(["--api-key", "secret.txt"]).Errors);
    }

    [Fact]
    public async Task HelpListsTheOptionsAndExitsZero()
    {
        var (code, output, _) = await Invoke("--help");
        Assert.Equal(0, code);
        foreach (var option in new[] { "--models", "--urls", "--api-key-file", "--allow-anonymous", "--protect-metrics", "--provider", "--device-id",
                     "--intra-op-threads", "--max-body-bytes", "--max-samples", "--max-images", "--max-sentences", "--concurrency", "--queue-limit", "--batch-wait-ms" })
            Assert.Contains(option, output);
        // Every option has its flag, and the help shows each one's range, default and configuration key.
        Assert.Equal(typeof(ServerOptions).GetProperties().Where(p => p.SetMethod is { IsPublic: true }).Select(p => p.Name).Order(),
            ServerOptionFlags.All.Select(f => f.Property).Order());
        Assert.Contains("1..4096 [default: 64] (config Server:Concurrency)", System.Text.RegularExpressions.Regex.Replace(output, @"\s+", " "));
        var (misspelt, _, error) = await Invoke("--hlep");
        Assert.Equal(1, misspelt);
        Assert.Contains("'--hlep'", error);
    }

    [Fact]
    public async Task AnAddressBeyondLoopbackWithoutAKeyExitsWithTheReason()
    {
        var (code, _, error) = await Invoke("--models", Models, "--urls", "http://0.0.0.0:8080");
        Assert.Equal(1, code);
        Assert.Contains("error: Server:Urls (--urls): http://0.0.0.0:8080", error);
        Assert.Contains("--allow-anonymous", error);
    }
}
