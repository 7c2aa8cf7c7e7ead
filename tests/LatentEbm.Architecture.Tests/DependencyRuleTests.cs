using System.Text.Json;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Architecture.Tests;

/// <summary>inference/ and pipelines/ run on ONNX Runtime and ML.NET alone: nothing they pull in, directly or transitively, may be TorchSharp.</summary>
public class DependencyRuleTests
{
    [Theory]
    [InlineData("inference/LatentEbm.Inference.csproj")]
    [InlineData("pipelines/LatentEbm.Pipelines.csproj")]
    [InlineData("onnx/LatentEbm.Onnx.csproj")]
    [InlineData("server/LatentEbm.Server.csproj")]
    public void ProductionLibrariesNeverDependOnTorchSharp(string project)
    {
        string assets = Path.Combine(TestPaths.RepositoryRoot, Path.GetDirectoryName(project)!, "obj", "project.assets.json");
        Assert.True(File.Exists(assets), $"{assets} missing: restore the solution first");
        using var doc = JsonDocument.Parse(File.ReadAllText(assets));
        var libraries = doc.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name).ToList();
        var offending = libraries.Where(l =>
            l.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase) ||
            l.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase) ||
            l.StartsWith("LatentEbm.Training", StringComparison.Ordinal) ||
            l.StartsWith("LatentEbm.Cli", StringComparison.Ordinal)).ToList();
        Assert.True(offending.Count == 0, $"{project} depends on {string.Join(", ", offending)}");
    }

    [Theory]
    [InlineData("inference")]
    [InlineData("pipelines")]
    [InlineData("training")]
    [InlineData("cli")]
    [InlineData("server")]
    public void NoProjectPullsInBothOnnxRuntimePackages(string folder)
    {
        // With both, the CPU package silently wins and CUDA never loads.
        var names = Libraries(folder);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu.Linux", names);
        Assert.False(names.Contains("Microsoft.ML.OnnxRuntime"), $"{folder} references both ONNX Runtime packages");
    }

    [Theory]
    [InlineData("inference")]
    [InlineData("server")]
    [InlineData("cli")]
    public void NoProjectPullsInWindowsOnnxRuntimeNatives(string folder)
    {
        // Microsoft.ML.OnnxRuntime.Gpu.Windows's props copy its win-x64 DLLs (210 MB) into every output
        // and publish folder whatever the RuntimeIdentifier; the meta package Microsoft.ML.OnnxRuntime.Gpu pulls it in.
        var names = Libraries(folder);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Managed", names); // the rule looks at the right file
        Assert.DoesNotContain("Microsoft.ML.OnnxRuntime.Gpu.Windows", names);
        Assert.DoesNotContain("Microsoft.ML.OnnxRuntime.Gpu", names);
    }

    /// <summary>The package ids a project restores, directly or transitively.</summary>
    private static HashSet<string> Libraries(string folder)
    {
        string assets = Path.Combine(TestPaths.RepositoryRoot, folder, "obj", "project.assets.json");
        Assert.True(File.Exists(assets), $"{assets} missing: restore the solution first");
        using var doc = JsonDocument.Parse(File.ReadAllText(assets));
        return doc.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name.Split('/')[0]).ToHashSet();
    }

    [Fact]
    public void TheRuleWouldCatchTorchSharpInTheTrainingLibrary()
    {
        // The same check on training/ must find TorchSharp, or the test above proves nothing.
        string assets = Path.Combine(TestPaths.RepositoryRoot, "training", "obj", "project.assets.json");
        Assert.True(File.Exists(assets), $"{assets} missing: restore the solution first");
        using var doc = JsonDocument.Parse(File.ReadAllText(assets));
        Assert.Contains(doc.RootElement.GetProperty("libraries").EnumerateObject(), p => p.Name.StartsWith("TorchSharp/", StringComparison.Ordinal));
    }
}
