using System.Globalization;
using System.Text.Json.Nodes;
using LatentEbm.Data.Text;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Cli.Tests;

/// <summary>
/// <c>latent-ebm text evaluate</c> as a user runs it: two tiny runs trained by <c>text train</c> (EBM and Gaussian prior),
/// then the report, whose rows come from its text.json; a damaged checkpoint is refused by name.
/// </summary>
public class TextEvaluateCommandTests
{
    private static IEnumerable<string> Lines(string file, int count) =>
        TextCorpus.Lines(Path.Combine(TestPaths.TextCorpora, file)).Where(l => Vocabulary.Words(l).Length is > 0 and <= 15).Take(count);

    private static string Train(string root, string prior)
    {
        string folder = Path.Combine(root, prior);
        var (code, output) = CliRunner.Run("text", "train", "--out", folder, "--train", Path.Combine(root, "train.txt"), "--validation", Path.Combine(root, "valid.txt"),
            "--epochs", "1", "--nz", "3", "--embedding-size", "8", "--hidden-size", "8", "--batch-size", "8", "--prior-steps", "3", "--posterior-steps", "3",
            "--max-words", "15", "--prior", prior);
        Assert.True(code == 0, output);
        return folder;
    }

    [Fact]
    public void EvaluateWritesTheReportWithAnEbmRowAGaussianRowAndTheLanguageModelRow()
    {
        string root = TestPaths.NewTempFolder();
        try
        {
            File.WriteAllLines(Path.Combine(root, "train.txt"), Lines("ptb.train.head.txt", 24));
            File.WriteAllLines(Path.Combine(root, "valid.txt"), Lines("ptb.valid.txt", 8));
            Directory.CreateDirectory(Path.Combine(root, "data", "text"));
            File.WriteAllLines(Path.Combine(root, "data", "text", "ptb.test.txt"), TextCorpus.Lines(Path.Combine(TestPaths.TextCorpora, "ptb.test.txt")).Take(12));
            string ebm = Train(root, "ebm"), gaussian = Train(root, "gaussian");
            string reports = Path.Combine(root, "reports");

            var (code, output) = CliRunner.Run("text", "evaluate", "--run", ebm, "--run", gaussian, "--data-dir", Path.Combine(root, "data"), "--out", reports,
                "--test-sentences", "3", "--generated", "20", "--lm-epochs", "2");
            Assert.True(code == 0, output);
            var facts = JsonNode.Parse(File.ReadAllText(Path.Combine(reports, "text.json")))!.AsObject();
            string md = File.ReadAllText(Path.Combine(reports, "text.md"));
            var runs = facts["runs"]!.AsArray();
            Assert.Equal(["ebm", "gaussian"], runs.Select(r => r!["prior"]!.GetValue<string>()));
            Assert.Single(facts["language_model_baselines"]!.AsArray());
            string command = facts["command"]!.GetValue<string>();
            Assert.Contains("--test-sentences 3 --generated 20 --seed 1 --lm-epochs 2 --threads 1", command);
            Assert.Equal(2, facts["language_model_baselines"]![0]!["test_subset"]!["settings"]!["epochs"]!.GetValue<int>());
            Assert.Contains("2 epochs of batch", md);
            Assert.Contains($"`{command}`", md);

            string Row(string label) => md.Split('\n').Single(l => l.StartsWith($"| {label} |", StringComparison.Ordinal));
            string F2(JsonNode run) => run["importance_sampled"]!["nll"]!["nll_per_sentence"]!.GetValue<double>().ToString("F2", CultureInfo.InvariantCulture);
            Assert.StartsWith($"| latent EBM prior | 1 | {F2(runs[0]!)} |", Row("latent EBM prior"));
            Assert.StartsWith($"| Gaussian prior (f = 0) | 1 | {F2(runs[1]!)} |", Row("Gaussian prior (f = 0)"));
            double lm = facts["language_model_baselines"]![0]!["test_subset"]!["nll"]!["nll_per_sentence"]!.GetValue<double>();
            Assert.Contains($"| 1 | {lm.ToString("F2", CultureInfo.InvariantCulture)} |", Row("LSTM language model on the real training sentences (baseline 0, exact)"));
            Assert.All(runs, r => Assert.Equal(3, r!["test_subset"]!.GetValue<int>()));

            // A damaged checkpoint: a clear error naming the file, exit code 1, nothing written.
            File.Delete(Path.Combine(reports, "text.md"));
            string weights = Path.Combine(gaussian, "checkpoints", "epoch-0001", "decoder.weights");
            byte[] bytes = File.ReadAllBytes(weights);
            bytes[^1] ^= 0xFF;
            File.WriteAllBytes(weights, bytes);
            (code, output) = CliRunner.Run("text", "evaluate", "--run", ebm, "--run", gaussian, "--data-dir", Path.Combine(root, "data"), "--out", reports,
                "--test-sentences", "3", "--generated", "20");
            Assert.Equal(1, code);
            Assert.Contains("error: checkpoint", output);
            Assert.Contains("decoder.weights", output);
            Assert.False(File.Exists(Path.Combine(reports, "text.md")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
