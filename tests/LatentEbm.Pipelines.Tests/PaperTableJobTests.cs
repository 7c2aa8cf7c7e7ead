using System.Globalization;
using System.Text.Json.Nodes;
using LatentEbm.Inference.Scoring;
using LatentEbm.Pipelines.Evaluation;
using LatentEbm.Pipelines.Jobs;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Pipelines.Tests;

public class PaperTableJobTests
{
    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A run folder as scripts/paper-job.sh leaves it, with the given bundle pr_auc and headline weighting.</summary>
    private static void FakeRun(string root, string name, double prAuc, string weighting = ScoreWeightings.LogJoint, bool constantEnergy = false)
    {
        string folder = Path.Combine(root, name);
        Directory.CreateDirectory(Path.Combine(folder, "evaluation"));
        var evaluation = new JsonObject
        {
            ["pr_auc"] = prAuc, ["average_precision"] = prAuc - 0.01, ["auroc"] = 0.9, ["prevalence"] = 0.35, ["uninformative"] = false,
            ["score"] = new JsonObject
            {
                ["weighting"] = weighting, ["weighting_provenance"] = ScoreWeightings.Provenance(weighting), ["epoch"] = 6, ["chain_seed"] = 0,
                ["scored_by"] = "ML.NET pipeline ScoreLatentEbmAnomaly on ONNX Runtime", ["execution"] = "CPU",
                ["test_chain_steps"] = 40, ["test_chain_step_size"] = 0.1, ["test_chain_noise"] = false,
            },
        };
        File.WriteAllText(Path.Combine(folder, "evaluation", "report.json"), evaluation.ToJsonString());
        string energyConstant = constantEnergy ? "true" : "false";
        File.WriteAllText(Path.Combine(folder, "report.json"), $$$"""
            {"pr_auc": {{{F(prAuc)}}}, "train_seconds": 600,
             "ranking_by_term": {"squared_error": {"pr_auc": 0.5, "average_precision": 0.45, "uninformative": false},
                                 "energy": {"pr_auc": 0.675, "average_precision": 0.35, "uninformative": {{{energyConstant}}} } },
             "score": {"torch_threads": 1, "peak_working_set_mib": 700, "pr_auc_by_weights": {"log_joint": 0.45, "standardized": 0.5} } }
            """);
        File.WriteAllText(Path.Combine(folder, "config.json"),
            """{"dataset": "mnist", "split_seed": 42, "epochs": 6, "batch_size": 100, "prior_steps": 60, "posterior_steps": 20, "nz": 16, "validation_fraction": 0.1}""");
        File.WriteAllText(Path.Combine(folder, "metrics.csv"), "epoch,iterations\n1,455\n2,455\n");
    }

    private static string Runs(params (string Name, double PrAuc)[] runs)
    {
        string root = TestPaths.NewTempFolder();
        foreach (var (name, prAuc) in runs) FakeRun(root, name, prAuc);
        return root;
    }

    [Fact]
    public void TheAmortisedTableGivesIntervalsBesideTheNoiseStartedRowsAndSizesEveryMissedTarget()
    {
        string runs = Runs(("amortised-digit4-seed1", 0.70), ("amortised-digit4-seed2", 0.60), ("amortised-digit4-seed3", 0.65),
            ("amortised-digit5-seed1", 0.70), ("amortised-digit5-seed2", 0.71), ("amortised-digit5-seed3", 0.72), ("amortised-digit1-seed1", 0.40),
            ("ebm-digit4-seed1", 0.10)); // a noise-started run: not a row of this table
        foreach (var folder in Directory.GetDirectories(runs, "amortised-*"))
            File.WriteAllText(Path.Combine(folder, "config.json"),
                """{"dataset": "mnist", "split_seed": 42, "epochs": 6, "batch_size": 100, "prior_steps": 60, "posterior_start": "encoder", "encoder_posterior_steps": 10, "generator": "mlp", "encoder_hidden": [800, 400], "nz": 16, "validation_fraction": 0.1}""");
        string previous = Path.Combine(TestPaths.NewTempFolder(), "paper-table.json");
        File.WriteAllText(previous, """{"4": {"mean": 0.633, "ci95": [0.600, 0.667]}, "5": {"mean": 0.691, "ci95": [0.680, 0.702]}}""");
        string output = TestPaths.NewTempFolder();

        AmortisedTableJob.Write(PaperRuns.Collect(runs), previous, output, "2-core test machine");
        string md = File.ReadAllText(Path.Combine(output, "amortised-table.md"));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "amortised-table.json")))!;

        Assert.Equal(7, json["runs"]!.AsArray().Count);
        var ci = json["4"]!["ci95"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        Assert.Equal(0.65 - 0.12420688559218765, ci[0], 12); // scipy: 0.65 ± t(0.975, 2) · 0.05 / √3
        Assert.Equal("within", json["4"]!["vs_lebm"]!.GetValue<string>());
        Assert.Equal("above", json["5"]!["vs_lebm"]!.GetValue<string>());
        Assert.Equal("fewer than 3 seeds", json["1"]!["vs_lebm"]!.GetValue<string>());
        Assert.Contains("| LatentEbm, noise-started chains (`paper-table.json`) | - | 0.633 [0.600, 0.667] | 0.691 [0.680, 0.702] | - | - | - |", md);
        Assert.Contains("**0.650 [0.526, 0.774]**", md);
        Assert.Contains("- Digit 4, 95% interval above LEBM's 0.630: missed: the interval's lower end 0.526 is 0.104 short of LEBM's 0.630.", md);
        Assert.Contains("- Digit 5, 95% interval above LEBM's 0.619: met.", md);
        Assert.Contains("- Digit 1, 95% interval above LEBM's 0.336: not decided: 1 seed(s), fewer than 3.", md);
        Assert.Contains("- Digit 4 at or above 0.800: missed by 0.150 (0.650).", md);
        Assert.Contains("- Mean over the five digits at or above 0.700: not measured.", md);
        Assert.Contains("posterior start encoder with K1 = 10 steps", md);
    }

    [Fact]
    public void TheAmortisedTableRefusesRunsWithoutAnAmortisedOne()
    {
        string runs = Runs(("ebm-digit4-seed1", 0.6));
        var error = Assert.Throws<ArgumentException>(() => AmortisedTableJob.Write(PaperRuns.Collect(runs), null, TestPaths.NewTempFolder(), "x"));
        Assert.Contains("no finished amortised run", error.Message);
    }

    [Fact]
    public void TheTableGivesMeanAnd95PercentIntervalPerDigitAndDecidesAboveWithinBelowByIt()
    {
        string runs = Runs(("ebm-digit4-seed1", 0.70), ("ebm-digit4-seed2", 0.60), ("ebm-digit4-seed3", 0.65),
            ("ebm-digit5-seed1", 0.70), ("ebm-digit5-seed2", 0.71), ("ebm-digit5-seed3", 0.72),
            ("ebm-digit1-seed1", 0.30), ("ebm-digit1-seed2", 0.31), ("ebm-digit1-seed3", 0.29), ("gaussian-digit4-seed1", 0.55));
        Directory.CreateDirectory(Path.Combine(runs, "ebm-digit7-seed1")); // unfinished: skipped
        Directory.CreateDirectory(Path.Combine(runs, "bundles"));          // not a run
        string output = TestPaths.NewTempFolder();

        var cells = PaperRuns.Collect(runs);
        Assert.Equal(10, cells.Count);
        Assert.Equal(910, cells[0].Iterations);
        var (markdown, json) = PaperTableJob.Write(cells, output, "2-core test machine", new Dictionary<int, string>());

        // scipy: 0.65 ± stats.t.ppf(0.975, 2) * 0.05 / sqrt(3) = 0.65 ± 0.12420688559218765
        var ci = json["4"]!["ci95"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        Assert.Equal(0.65 - 0.12420688559218765, ci[0], 12);
        Assert.Equal(0.65 + 0.12420688559218765, ci[1], 12);
        Assert.Equal(0.05, json["4"]!["std"]!.GetValue<double>(), 12);
        Assert.Equal("within", json["4"]!["vs_lebm"]!.GetValue<string>());  // 0.630 inside [0.526, 0.774]
        Assert.Equal("above", json["5"]!["vs_lebm"]!.GetValue<string>());   // [0.685, 0.735] above 0.619
        Assert.Equal("below", json["1"]!["vs_lebm"]!.GetValue<string>());   // [0.275, 0.325] below 0.336
        Assert.Equal("below", json["5"]!["vs_joint_latent_ebm"]!.GetValue<string>());
        Assert.Null(json["7"]);
        Assert.Contains("| LEBM (the paper) | 0.336 | 0.630 | 0.619 |", markdown);
        Assert.Contains("0.650 [0.526, 0.774]", markdown);
        Assert.Contains("| against LEBM's row | below | within | **above** |", markdown);
        Assert.Contains("Headline score: `log_joint`, fixed in advance: the paper's negative log joint (PAPER.md).", markdown);
        Assert.DoesNotContain("Warning", markdown);
        Assert.Contains($"| weights `standardized` | {ScoreWeightings.Provenance(ScoreWeightings.Standardized).Replace("|", "\\|")} |", markdown); // |z|² escaped in a table cell
        Assert.Contains("epoch 6", markdown);
        Assert.Contains("--score-weights log_joint --validation-fraction 0.1 --threads 1", markdown);
        Assert.Contains("Gaussian (f = 0)", markdown);
        Assert.Equal(markdown, File.ReadAllText(Path.Combine(output, "paper-table.md")));
        Assert.NotNull(JsonNode.Parse(File.ReadAllText(Path.Combine(output, "paper-table.json"))));
    }

    [Fact]
    public void AHeadlineWeightingGuidedByTestNumbersAndMixedWeightingsAreRefused()
    {
        string runs = TestPaths.NewTempFolder();
        FakeRun(runs, "ebm-digit4-seed1", 0.7, ScoreWeightings.Standardized);
        var guided = Assert.Throws<ArgumentException>(() => PaperTableJob.Write(PaperRuns.Collect(runs), TestPaths.NewTempFolder(), "test", new Dictionary<int, string>()));
        Assert.Contains("'standardized' was not fixed in advance", guided.Message);

        FakeRun(runs, "ebm-digit4-seed2", 0.7, ScoreWeightings.LogJoint);
        var mixed = Assert.Throws<ArgumentException>(() => PaperTableJob.Write(PaperRuns.Collect(runs), TestPaths.NewTempFolder(), "test", new Dictionary<int, string>()));
        Assert.Contains("disagree on the score weighting", mixed.Message);
    }

    [Fact]
    public void FewerThanThreeSeedsGiveNoVerdict()
    {
        var (markdown, json) = PaperTableJob.Write(PaperRuns.Collect(Runs(("ebm-digit5-seed1", 0.90), ("ebm-digit5-seed2", 0.91))), TestPaths.NewTempFolder(), "test", new Dictionary<int, string>());
        Assert.Equal("fewer than 3 seeds", json["5"]!["vs_lebm"]!.GetValue<string>());
        Assert.Contains("| against LEBM's row | fewer than 3 seeds |", markdown);
    }

    [Fact]
    public void AConstantTermIsReportedUninformativeNotWithItsTieValue()
    {
        string runs = TestPaths.NewTempFolder();
        FakeRun(runs, "ebm-digit4-seed1", 0.7, constantEnergy: true);
        var (markdown, json) = PaperTableJob.Write(PaperRuns.Collect(runs), TestPaths.NewTempFolder(), "test", new Dictionary<int, string>());
        Assert.Contains("| energy alone | for insight only | uninformative (constant) |", markdown);
        Assert.DoesNotContain("0.675", markdown);
        Assert.Null(json["score_ablation"]!["energy_alone"]!["4"]);
        Assert.Contains("| squared_error alone | for insight only | 0.500 (AP 0.450) |", markdown);
    }

    [Fact]
    public void ABundleWhoseManifestQuotesAnotherNumberIsAnErrorNamingIt()
    {
        string runs = Runs(("ebm-digit4-seed1", 0.7));
        string bundle = Path.Combine(TestPaths.NewTempFolder(), "lebm-digit4");
        Directory.CreateDirectory(bundle);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "models", "mnist-digit4", "manifest.json")))!.AsObject();
        manifest["metrics"] = new JsonObject { ["pr_auc"] = 0.7, ["average_precision"] = 0.7 - 0.01, ["epoch"] = 6, ["weighting"] = "log_joint" };
        File.WriteAllText(Path.Combine(bundle, "manifest.json"), manifest.ToJsonString());
        var cells = PaperRuns.Collect(runs);
        var (markdown, json) = PaperTableJob.Write(cells, TestPaths.NewTempFolder(), "test", new Dictionary<int, string> { [4] = bundle });
        Assert.Contains($"- digit 4: `{bundle}`, pr_auc 0.7000 (epoch 6)", markdown);
        Assert.Equal(0.7, json["bundles"]!["4"]!["pr_auc"]!.GetValue<double>());

        manifest["metrics"] = new JsonObject { ["pr_auc"] = 0.7019, ["average_precision"] = 0.7 - 0.01, ["epoch"] = 6, ["weighting"] = "log_joint" };
        File.WriteAllText(Path.Combine(bundle, "manifest.json"), manifest.ToJsonString());
        var error = Assert.Throws<IOException>(() => PaperTableJob.Write(cells, TestPaths.NewTempFolder(), "test", new Dictionary<int, string> { [4] = bundle }));
        Assert.Contains("manifest.json quotes pr_auc 0.7019", error.Message);
        manifest["metrics"] = new JsonObject { ["pr_auc"] = 0.7, ["average_precision"] = 0.7 - 0.01, ["epoch"] = 5, ["weighting"] = "log_joint" };
        File.WriteAllText(Path.Combine(bundle, "manifest.json"), manifest.ToJsonString());
        Assert.Contains("quotes epoch 5", Assert.Throws<IOException>(() => PaperTableJob.Write(cells, TestPaths.NewTempFolder(), "test", new Dictionary<int, string> { [4] = bundle })).Message);
        manifest["metrics"] = new JsonObject { ["pr_auc"] = 0.7, ["average_precision"] = 0.7 - 0.01, ["epoch"] = 6, ["weighting"] = "log_joint" };
        File.WriteAllText(Path.Combine(bundle, "manifest.json"), manifest.ToJsonString());
        Assert.Contains("without its seed-1 run", Assert.Throws<IOException>(() =>
            PaperTableJob.Write(cells, TestPaths.NewTempFolder(), "test", new Dictionary<int, string> { [4] = bundle, [5] = bundle })).Message);
    }

    [Fact]
    public void AMalformedReportIsAnErrorNamingTheFile()
    {
        string runs = Runs(("ebm-digit4-seed1", 0.7));
        File.WriteAllText(Path.Combine(runs, "ebm-digit4-seed1", "report.json"), "{ truncated");
        var error = Assert.Throws<IOException>(() => PaperRuns.Collect(runs));
        Assert.Contains("report.json", error.Message);
    }

    [Theory]
    [InlineData(new[] { 0.5 }, 0.5, double.NaN, double.NaN)]
    [InlineData(new[] { 0.70, 0.60, 0.65 }, 0.65, 0.52579311440781235, 0.77420688559218765)] // scipy stats.t.interval(0.95, 2, 0.65, 0.05/sqrt(3))
    [InlineData(new[] { 1.0, 2.0 }, 1.5, -4.853102368216047, 7.853102368216047)]           // scipy stats.t.interval(0.95, 1, 1.5, 0.5)
    public void MeanIntervalsMatchScipy(double[] values, double mean, double lower, double upper)
    {
        var i = MeanInterval.Of(values);
        Assert.Equal(mean, i.Mean, 12);
        Assert.Equal(lower, i.Lower, 9);
        Assert.Equal(upper, i.Upper, 9);
        Assert.Throws<ArgumentException>(() => MeanInterval.Of([0.5, double.NaN]));
    }
}
