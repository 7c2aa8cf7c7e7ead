using System.Text.Json;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Cli.Tests;

/// <summary><c>latent-ebm text export</c> as a user runs it: a tiny text run on real PTB lines exported to a verified text bundle.</summary>
public class TextExportCommandTests
{
    [Fact]
    public void ATextRunExportsToAVerifiedTextBundle()
    {
        string root = TestPaths.NewTempFolder();
        foreach (var (file, name, count) in new[] { ("ptb.train.head.txt", "train.txt", 24), ("ptb.valid.txt", "valid.txt", 8) })
            File.WriteAllLines(Path.Combine(root, name), File.ReadLines(Path.Combine(TestPaths.TextCorpora, file))
                .Where(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length is > 0 and <= 15).Take(count));
        string run = Path.Combine(root, "run"), bundle = Path.Combine(root, "text-bundle");
        var (code, output) = CliRunner.Run("text", "train", "--out", run, "--train", Path.Combine(root, "train.txt"), "--validation", Path.Combine(root, "valid.txt"),
            "--epochs", "1", "--nz", "3", "--embedding-size", "8", "--hidden-size", "8", "--batch-size", "8", "--prior-steps", "3", "--posterior-steps", "3", "--threads", "1");
        Assert.True(code == 0, output);

        (code, output) = CliRunner.Run("text", "export", "--run", run, "--out", bundle, "--threads", "1");
        Assert.True(code == 0, output);
        Assert.Contains("Text bundle written and verified", output);
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(bundle, "manifest.json"))))
        {
            Assert.Equal(4, manifest.RootElement.GetProperty("schema_version").GetInt32());
            Assert.Equal("text", manifest.RootElement.GetProperty("observation").GetProperty("kind").GetString());
            Assert.Equal(1, manifest.RootElement.GetProperty("training").GetProperty("epochs").GetInt32());
        }

        (code, output) = CliRunner.Run("text", "export", "--run", run, "--out", Path.Combine(root, "none"), "--checkpoint", "3");
        Assert.Equal(1, code);
        Assert.Contains("has no checkpoint of epoch 3; kept: epoch-0001", output);
        Assert.False(Directory.Exists(Path.Combine(root, "none")));
    }
}
