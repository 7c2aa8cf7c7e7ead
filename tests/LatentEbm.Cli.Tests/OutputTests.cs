using System.Security.Cryptography;
using System.Text.Json.Nodes;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Cli.Tests;

/// <summary>What the tool prints when its output goes to a file or a pipe, and how it reports runtime failures.</summary>
public class OutputTests
{
    [Fact]
    public void RedirectedOutputDoesNotWrapLongPaths()
    {
        string longFolder = Path.Combine(TestPaths.NewTempFolder(), new string('d', 60), "a-data-folder-with-a-name-long-enough-to-pass-eighty-columns");
        Directory.CreateDirectory(longFolder);
        var (code, output) = CliRunner.Run("train", "--epochs", "1", "--out", Path.Combine(TestPaths.NewTempFolder(), "r"), "--data-dir", longFolder);
        Assert.Equal(1, code); // no MNIST there
        Assert.True(longFolder.Length > 80);
        Assert.Contains($"Loading mnist from {longFolder}\n", output);
    }

    /// <summary>A copy of the shipped default bundle whose posterior chain graph runs one step more than its noise input holds, with a matching checksum: it loads and has the right signature, but ONNX Runtime fails running it.</summary>
    private static string BundleThatFailsAtRunTime()
    {
        string bundle = Path.Combine(TestPaths.NewTempFolder(), "broken");
        Directory.CreateDirectory(bundle);
        foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.RepositoryRoot, "models", "mnist-digit4")))
            File.Copy(file, Path.Combine(bundle, Path.GetFileName(file)));
        string graph = Path.Combine(bundle, "posterior_langevin.onnx");
        byte[] bytes = File.ReadAllBytes(graph);
        // The int64 initializer K = 40 (protobuf: data_type 7, int64_data [40], name "K") becomes 41.
        byte[] k = [0x10, 0x07, 0x3A, 0x01, 0x28, 0x42, 0x01, (byte)'K'];
        int at = bytes.AsSpan().IndexOf(k);
        Assert.True(at >= 0, "the K initializer of posterior_langevin.onnx was not found");
        bytes[at + 4] = 0x29;
        File.WriteAllBytes(graph, bytes);
        string manifestPath = Path.Combine(bundle, "manifest.json");
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        foreach (var entry in manifest["files"]!.AsArray())
            if ((string?)entry!["file"] == "posterior_langevin.onnx")
                entry["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes));
        File.WriteAllText(manifestPath, manifest.ToJsonString());
        return bundle;
    }

    [Theory]
    [InlineData("classifier --train-count 50 --test-count 20")]
    [InlineData("anomaly")]
    public void AGraphThatFailsInOnnxRuntimeIsOneErrorLineNamingTheFile(string job)
    {
        string bundle = BundleThatFailsAtRunTime();
        var (code, output) = CliRunner.Run(["evaluate", .. job.Split(' '), "--bundle", bundle, "--out", TestPaths.NewTempFolder(), "--data-dir", Path.GetDirectoryName(TestPaths.Mnist)!]);
        Assert.Equal(1, code);
        Assert.Contains($"error: model bundle {Path.Combine(bundle, "posterior_langevin.onnx")}: ONNX Runtime failed running this graph", output);
        Assert.Contains("export the bundle again", output);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Unhandled exception", output);
    }

    [Fact]
    public void TheIntactBundleRunsTheSameJob()
    {
        var (code, output) = CliRunner.Run("evaluate", "classifier", "--train-count", "50", "--test-count", "20", "--bundle", Path.Combine(TestPaths.RepositoryRoot, "models", "mnist-digit4"),
            "--out", TestPaths.NewTempFolder(), "--data-dir", Path.GetDirectoryName(TestPaths.Mnist)!);
        Assert.True(code == 0, output);
        Assert.DoesNotContain("error:", output);
    }
}
