using System.Text.Json.Nodes;
using LatentEbm.Data.Text;
using LatentEbm.Inference.Text;
using LatentEbm.Pipelines.Evaluation;
using LatentEbm.Pipelines.Jobs;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Pipelines.Tests;

/// <summary>
/// <see cref="TextAnomalyJob"/> on the tiny text bundle (<see cref="TinyTextBundle"/>) and a small hand-made set: its metrics
/// equal <see cref="AnomalyRankingMetrics"/> computed directly on the library's scores and the baselines, per subset with the
/// right counts; report.md is <see cref="TextAnomalyReport.Markdown"/> of report.json; bad baselines are refused.
/// </summary>
public class TextAnomalyJobTests
{
    private static TextAnomalySet Set()
    {
        var items = new List<TextAnomalyItem>();
        items.AddRange(new[] { "alpha bravo", "alpha bravo charlie", "bravo alpha", "charlie delta alpha", "alpha", "bravo charlie delta echo", "alpha alpha bravo", "delta echo" }
            .Select(s => new TextAnomalyItem(s, TextAnomalySource.PennTreebank)));
        items.AddRange(new[] { "thou art golf", "foxtrot hath golf", "golf golf", "methinks alpha doth protest" }
            .Select(s => new TextAnomalyItem(s, TextAnomalySource.TinyShakespeare)));
        items.AddRange(new[] { "you will be golf", "fortune favours foxtrot echo", "foxtrot" }
            .Select(s => new TextAnomalyItem(s, TextAnomalySource.Fortune)));
        var settings = new TextAnomalySetSettings { MaxWords = TinyTextBundle.MaxWords, ShakespeareLines = 4, Seed = 2 };
        var tooLong = new Dictionary<TextAnomalySource, int> { [TextAnomalySource.PennTreebank] = 1, [TextAnomalySource.TinyShakespeare] = 2, [TextAnomalySource.Fortune] = 3 };
        var empty = new Dictionary<TextAnomalySource, int> { [TextAnomalySource.PennTreebank] = 0, [TextAnomalySource.TinyShakespeare] = 4, [TextAnomalySource.Fortune] = 5 };
        return new TextAnomalySet(items, settings, tooLong, empty, 9);
    }

    private static TextBaseline[] Baselines(TextAnomalySet set) =>
    [
        new("words", [.. set.Items.Select(i => (double)i.Text.Split(' ').Length)], new Dictionary<string, object?> { ["what"] = "word count" }),
        new("unknown_share", [.. set.Items.Select(i => i.Text.Split(' ').Count(w => !TinyTextBundle.Words.Contains(w)) / (double)i.Text.Split(' ').Length)],
            new Dictionary<string, object?> { ["what"] = "share of words outside the vocabulary", ["seconds"] = 0.25 }),
    ];

    [Fact]
    public void MetricsEqualTheRankingMetricsOfTheLibrarysScoresPerSubset()
    {
        var set = Set();
        var baselines = Baselines(set);
        string folder = TestPaths.NewTempFolder();
        var result = TextAnomalyJob.Run(TinyTextBundle.Bundle, set, baselines, folder, seed: 4, files: new Dictionary<string, string> { ["ptb_test"] = "a/ptb.test.txt" });

        using var library = TextLatentEbmInference.Open(TinyTextBundle.Bundle);
        double[] ebm = [.. library.Score([.. set.Items.Select(i => i.Text)], 4).Select(s => (double)s)];
        Assert.Equal(ebm, result.EbmScores);
        var scores = new Dictionary<string, IReadOnlyList<double>> { ["ebm"] = ebm, ["words"] = baselines[0].Scores, ["unknown_share"] = baselines[1].Scores };
        var expectedCounts = new Dictionary<string, (int Normal, int Anomalies, TextAnomalySource[] Sources)>
        {
            ["all"] = (8, 7, [TextAnomalySource.TinyShakespeare, TextAnomalySource.Fortune]),
            ["ptb_vs_tiny_shakespeare"] = (8, 4, [TextAnomalySource.TinyShakespeare]),
            ["ptb_vs_fortunes"] = (8, 3, [TextAnomalySource.Fortune]),
        };
        var subsets = result.Report["subsets"]!.AsArray();
        Assert.Equal(expectedCounts.Keys, subsets.Select(s => s!["name"]!.GetValue<string>()));
        foreach (var subset in subsets)
        {
            var (normal, anomalies, sources) = expectedCounts[subset!["name"]!.GetValue<string>()];
            Assert.Equal(normal, subset["normal"]!.GetValue<int>());
            Assert.Equal(anomalies, subset["anomaly_count"]!.GetValue<int>());
            Assert.Equal((double)anomalies / (normal + anomalies), subset["prevalence"]!.GetValue<double>());
            int[] rows = [.. Enumerable.Range(0, set.Items.Count).Where(i => set.Items[i].Source == TextAnomalySource.PennTreebank || sources.Contains(set.Items[i].Source))];
            byte[] labels = [.. rows.Select(i => set.Items[i].Label)];
            Assert.Equal(scores.Keys, subset["scores"]!.AsObject().Select(p => p.Key));
            foreach (var (name, values) in scores)
            {
                var expected = AnomalyRankingMetrics.Compute(labels, [.. rows.Select(i => values[i])]);
                var actual = subset["scores"]![name]!;
                Assert.Equal(expected.PrAuc, actual["auprc"]!.GetValue<double>());
                Assert.Equal(expected.AveragePrecision, actual["average_precision"]!.GetValue<double>());
                Assert.Equal(expected.RocAuc, actual["auroc"]!.GetValue<double>());
            }
        }
        // The word-count baseline separates these sets differently from the EBM: the table is not one score repeated.
        Assert.NotEqual(subsets[0]!["scores"]!["ebm"]!["auprc"]!.GetValue<double>(), subsets[0]!["scores"]!["words"]!["auprc"]!.GetValue<double>());

        var recorded = result.Report["set"]!;
        Assert.Equal(8, recorded["counts"]!["penn_treebank"]!.GetValue<int>());
        Assert.Equal(4, recorded["counts"]!["tiny_shakespeare"]!.GetValue<int>());
        Assert.Equal(3, recorded["counts"]!["fortune"]!.GetValue<int>());
        Assert.Equal(5, recorded["skipped_empty"]!["fortune"]!.GetValue<int>());
        Assert.Equal(2, recorded["skipped_too_long"]!["tiny_shakespeare"]!.GetValue<int>());
        Assert.Equal(9, recorded["usable_shakespeare_lines"]!.GetValue<int>());
        Assert.Equal(TinyTextBundle.MaxWords, recorded["settings"]!["max_words"]!.GetValue<int>());
        Assert.Equal("a/ptb.test.txt", recorded["files"]!["ptb_test"]!.GetValue<string>());
        Assert.Equal(TinyTextBundle.Bundle, result.Report["bundle"]!["path"]!.GetValue<string>());
        Assert.Equal("text_cases.json", result.Report["bundle"]!["training"]!["train_file"]!.GetValue<string>());
        Assert.Equal(0.25, result.Report["baselines"]!["unknown_share"]!["seconds"]!.GetValue<double>());
        Assert.Equal(set.Items.Count, File.ReadAllLines(Path.Combine(folder, "scores.csv")).Length - 1);
        Assert.StartsWith("source,label,ebm,words,unknown_share,text", File.ReadAllText(Path.Combine(folder, "scores.csv")));
    }

    [Fact]
    public void TheMarkdownIsRenderedFromTheJson()
    {
        var set = Set();
        string folder = TestPaths.NewTempFolder();
        var result = TextAnomalyJob.Run(TinyTextBundle.Bundle, set, Baselines(set), folder, seed: 4);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "report.json")))!;
        string markdown = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.Equal(TextAnomalyReport.Markdown(json), markdown);
        Assert.Equal(result.Markdown, markdown);
        var all = json["subsets"]![0]!;
        Assert.Contains($"| all | 8 | 7 | {all["prevalence"]!.GetValue<double>():F3} | {all["scores"]!["ebm"]!["auprc"]!.GetValue<double>():F3} | {all["scores"]!["ebm"]!["auroc"]!.GetValue<double>():F3} |", markdown);
        // A changed number in the JSON changes the markdown; a missing section is an error naming it.
        json["subsets"]![0]!["scores"]!["ebm"]!["auprc"] = 0.123456;
        Assert.Contains("| all | 8 | 7 | ", TextAnomalyReport.Markdown(json));
        Assert.Contains(" | 0.123 | ", TextAnomalyReport.Markdown(json));
        json.AsObject().Remove("scoring");
        Assert.Contains("'scoring'", Assert.Throws<InvalidOperationException>(() => TextAnomalyReport.Markdown(json)).Message);
    }

    [Fact]
    public void BadBaselinesAndSetsAreRefusedNamingTheProblem()
    {
        var set = Set();
        string folder = TestPaths.NewTempFolder();
        var shortBaseline = new TextBaseline("lm", [1.0, 2.0], new Dictionary<string, object?>());
        Assert.Contains("baseline 'lm' has 2 scores for 15 sentences", Assert.Throws<ArgumentException>(() => TextAnomalyJob.Run(TinyTextBundle.Bundle, set, [shortBaseline], folder)).Message);
        var ebmNamed = Baselines(set)[0] with { Name = "ebm" };
        Assert.Contains("'ebm' is reserved", Assert.Throws<ArgumentException>(() => TextAnomalyJob.Run(TinyTextBundle.Bundle, set, [ebmNamed], folder)).Message);
        var noFortunes = set with { Items = [.. set.Items.Where(i => i.Source != TextAnomalySource.Fortune)] };
        Assert.Contains("no fortune sentence", Assert.Throws<ArgumentException>(() => TextAnomalyJob.Run(TinyTextBundle.Bundle, noFortunes, [], folder)).Message);
        Assert.False(File.Exists(Path.Combine(folder, "report.json")));
    }
}
