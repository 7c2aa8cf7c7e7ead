using LatentEbm.Tests.Shared;

namespace LatentEbm.Cli.Tests;

/// <summary>latent-ebm serve shares latent-ebm-server's command line: the same refusals, before anything listens.</summary>
public class ServeCommandTests
{
    private static readonly string Models = Path.Combine(TestPaths.RepositoryRoot, "models");

    [Fact]
    public void ServeRefusesAnUnknownOptionNamingIt()
    {
        var (code, output) = CliRunner.Run("serve", "--models", Models, "--urls", "http://127.0.0.1:0", "--api-key", "secret.txt");
        Assert.Equal(1, code);
        Assert.Contains("Unrecognized command or argument '--api-key'", output);
    }

    [Fact]
    public void ServeRefusesAnAddressBeyondLoopbackWithoutAKey()
    {
        var (code, output) = CliRunner.Run("serve", "--models", Models, "--urls", "http://0.0.0.0:8080");
        Assert.Equal(1, code);
        Assert.Contains("error: Server:Urls (--urls): http://0.0.0.0:8080 is reachable beyond this machine", output);
        Assert.Contains("--allow-anonymous", output);
    }

    [Fact]
    public void ServeHelpListsTheSharedOptions()
    {
        var (code, output) = CliRunner.Run("serve", "--help");
        Assert.Equal(0, code);
        foreach (var option in new[] { "--api-key-file", "--allow-anonymous", "--protect-metrics", "--urls", "--models", "--concurrency", "--queue-limit", "--batch-wait-ms" })
            Assert.Contains(option, output);
    }
}
