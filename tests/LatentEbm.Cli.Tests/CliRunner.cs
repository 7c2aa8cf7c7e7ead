using LatentEbm.Tests.Shared;

namespace LatentEbm.Cli.Tests;

/// <summary>Runs the built latent-ebm tool as a child process, as a user would.</summary>
internal static class CliRunner
{
    public static (int ExitCode, string Output) Run(params string[] args) => RunWith(null, args);

    /// <summary>Runs the tool with extra environment variables.</summary>
    public static (int ExitCode, string Output) RunWith(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        // tests/LatentEbm.Cli.Tests/bin/<Configuration>/net10.0/linux-x64/ -> cli/bin/<Configuration>/net10.0/linux-x64/latent-ebm.dll
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        string configuration = testOutput.Parent!.Parent!.Name;
        string dll = Path.Combine(TestPaths.RepositoryRoot, "cli", "bin", configuration, testOutput.Parent.Name, testOutput.Name, "latent-ebm.dll");
        Assert.True(File.Exists(dll), $"{dll} not built");
        return ProcessRunner.Run("dotnet", [dll, .. args], environment);
    }
}
