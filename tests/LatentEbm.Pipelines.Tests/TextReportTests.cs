using System.Globalization;
using System.Text.Json.Nodes;
using LatentEbm.Pipelines.Evaluation;
using LatentEbm.Pipelines.Jobs;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Text.Evaluation;

namespace LatentEbm.Pipelines.Tests;

/// <summary>The facts of a real text evaluation of tiny runs (two EBM runs of different seeds and a Gaussian one), made once.</summary>
public sealed class TextReportFacts : IDisposable
{
    private readonly TinyTextRuns runs = new();

    public TextReportFacts()
    {
        Training.Runtime.TorchRuntime.Initialize(); // before libtorch's first operation, as every entry point does
        TorchSharp.torch.set_num_threads(1);
        string[] folders = [runs.Train("ebm-seed5", gaussian: false, seed: 5), runs.Train("gaussian", gaussian: true), runs.Train("ebm-seed6", gaussian: false, seed: 6)];
        Json = TextEvaluationJob.Run(folders, runs.TestPath, TinyTextRuns.Settings, "./latent-ebm text evaluate --run a --run b --run c", threads: 1).ToJson();
    }

    /// <summary>text.json of the evaluation.</summary>
    public string Json { get; }

    /// <summary>A fresh copy of the facts, to change.</summary>
    public JsonObject Facts() => JsonNode.Parse(Json)!.AsObject();

    public void Dispose() => runs.Dispose();
}

/// <summary>
/// The text report: its rows and statements come from the recorded facts alone (changing a fact changes the Markdown),
/// several runs of a prior give the mean and 95% interval, the Gaussian run is the Gaussian row, and a missing fact is named.
/// </summary>
public sealed class TextReportTests(TextReportFacts fixture) : IClassFixture<TextReportFacts>
{
    private static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);

    private static string Row(string md, string label) => md.Split('\n').Single(l => l.StartsWith($"| {label} |", StringComparison.Ordinal));

    private static double Nll(JsonNode run) => run["importance_sampled"]!["nll"]!["nll_per_sentence"]!.GetValue<double>();

    [Fact]
    public void TheRowsAreTheRecordedValuesWithTheIntervalOverRunsOfAPrior()
    {
        var facts = fixture.Facts();
        string md = TextReport.Markdown(facts);
        var runs = facts["runs"]!.AsArray();

        // Two EBM runs: mean [95% interval] of their values; one Gaussian run: its value.
        var interval = MeanInterval.Of([Nll(runs[0]!), Nll(runs[2]!)]);
        Assert.NotEqual(Nll(runs[0]!), Nll(runs[2]!));
        string ebm = Row(md, "latent EBM prior");
        Assert.StartsWith($"| latent EBM prior | 2 | {F(interval.Mean, "F2")} [{F(interval.Lower, "F2")}, {F(interval.Upper, "F2")}] |", ebm);
        string gaussian = Row(md, "Gaussian prior (f = 0)");
        Assert.StartsWith($"| Gaussian prior (f = 0) | 1 | {F(Nll(runs[1]!), "F2")} |", gaussian);
        Assert.Contains($"| {F(runs[1]!["reconstruction"]!["bleu"]!["score"]!.GetValue<double>(), "F4")} |", gaussian);
        Assert.Contains($"| {F(runs[1]!["word_frequency_kl"]!["kl"]!.GetValue<double>(), "F4")} |", gaussian);
        var baseline = facts["language_model_baselines"]![0]!["test_subset"]!["nll"]!;
        Assert.Contains($"| 1 | {F(baseline["nll_per_sentence"]!.GetValue<double>(), "F2")} | {F(baseline["nll_per_token"]!.GetValue<double>(), "F4")} | {F(baseline["perplexity"]!.GetValue<double>(), "F2")} |",
            Row(md, "LSTM language model on the real training sentences (baseline 0, exact)"));

        // The statements come from the facts: the command, the subset, the sample counts, the training subset.
        Assert.Contains("`./latent-ebm text evaluate --run a --run b --run c`", md);
        Assert.Contains("N = 4 (asked: 4)", md);
        Assert.Contains("N = 20 samples per sentence", md);
        Assert.Contains("over M = 1,000 draws z_j ~ N(0, sigma0² I)", md);
        Assert.Contains("log Z(alpha) = 0 exactly", md); // the Gaussian run's
        Assert.Contains("a 24-sentence subset of the 42,068 sentences of PTB's training split", md);
        Assert.Contains("M = 16 sentences (given (--generated)", md);
    }

    [Fact]
    public void ChangingAFactChangesTheMarkdown()
    {
        var facts = fixture.Facts();
        string before = TextReport.Markdown(facts);
        facts["runs"]![1]!["importance_sampled"]!["nll"]!["nll_per_sentence"] = 123.456;
        facts["runs"]![0]!["importance_sampled"]!["settings"]!["samples"] = 777;
        facts["runs"]![0]!["training"]!["lines"] = 6778;
        string after = TextReport.Markdown(facts);
        Assert.StartsWith("| Gaussian prior (f = 0) | 1 | 123.46 |", Row(after, "Gaussian prior (f = 0)"));
        Assert.DoesNotContain("123.46", before);
        Assert.Contains("N = 777 samples per sentence", after);
        Assert.Contains("a 6,778-sentence subset", after);
    }

    [Fact]
    public void WriteWritesTheFactsAndTheMarkdownAndAMissingFactIsNamed()
    {
        string folder = TestPaths.NewTempFolder();
        try
        {
            var facts = fixture.Facts();
            string md = TextReport.Write(facts, folder);
            Assert.Equal(md, File.ReadAllText(Path.Combine(folder, "text.md")));
            Assert.True(JsonNode.DeepEquals(facts, JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "text.json")))));

            facts.Remove("command");
            Assert.Contains("\"command\"", Assert.Throws<IOException>(() => TextReport.Markdown(facts)).Message);
            var other = fixture.Facts();
            other["runs"]![0]!["language_model_baseline"] = 3;
            Assert.Contains("baseline 3", Assert.Throws<IOException>(() => TextReport.Markdown(other)).Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
