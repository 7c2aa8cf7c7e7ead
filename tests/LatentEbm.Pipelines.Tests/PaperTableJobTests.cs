using System.Text.Json.Nodes;
using LatentEbm.Pipelines.Jobs;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Pipelines.Tests;

public class PaperTableJobTests
{
    private static string F(double v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void FakeRun(string root, string name, double prAuc, double standardized)
    {
        string folder = Path.Combine(root, name);
        Directory.CreateDirectory(Path.Combine(folder, "evaluation"));
        File.WriteAllText(Path.Combine(folder, "evaluation", "report.json"),
            $$"""{"pr_auc": {{F(prAuc)}}, "average_precision": {{F(prAuc - 0.01)}}, "auprc_mlnet": {{F(prAuc)}}, "auroc": 0.9, "prevalence": 0.35}""");
        File.WriteAllText(Path.Combine(folder, "report.json"),
            """{"pr_auc": S, "train_seconds": 600, "pr_auc_by_term": {"squared_error": 0.5, "energy": 0.4}, "score": {"torch_threads": 1, "peak_working_set_mib": 700, "pr_auc_by_weights": {"log_joint": 0.45, "standardized": S}}}"""
                .Replace("S", standardized.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        File.WriteAllText(Path.Combine(folder, "config.json"), """{"epochs": 6}""");
        File.WriteAllText(Path.Combine(folder, "metrics.csv"), "epoch,iterations\n1,455\n2,455\n");
    }

    [Fact]
    public void TheTableGivesMeanAndSampleStdPerDigitBesideThePaperRows()
    {
        string runs = TestPaths.NewTempFolder(), output = TestPaths.NewTempFolder();
        FakeRun(runs, "ebm-digit4-seed1", 0.70, 0.69);
        FakeRun(runs, "ebm-digit4-seed2", 0.60, 0.59);
        FakeRun(runs, "ebm-digit4-seed3", 0.65, 0.64);
        FakeRun(runs, "ebm-digit1-seed1", 0.30, 0.31);
        FakeRun(runs, "gaussian-digit4-seed1", 0.55, 0.55);
        Directory.CreateDirectory(Path.Combine(runs, "ebm-digit5-seed1")); // unfinished: skipped
        Directory.CreateDirectory(Path.Combine(runs, "bundles"));          // not a run

        var cells = PaperTableJob.Collect(runs);
        Assert.Equal(5, cells.Count);
        Assert.Equal(910, cells[0].Iterations);
        var (markdown, json) = PaperTableJob.Write(cells, output, "2-core test machine", new Dictionary<int, string> { [4] = "models/lebm-digit4" });

        Assert.Equal(0.65, json["4"]!["mean"]!.GetValue<double>(), 12);
        Assert.Equal(0.05, json["4"]!["std"]!.GetValue<double>(), 12); // sample std of 0.70, 0.60, 0.65
        Assert.Equal(0.30, json["1"]!["mean"]!.GetValue<double>(), 12);
        Assert.Equal("models/lebm-digit4", json["4"]!["bundle"]!.GetValue<string>());
        Assert.Null(json["5"]);
        Assert.Contains("| LEBM (the paper) | 0.336 | 0.630 |", markdown);
        Assert.Contains("0.650 ± 0.050", markdown);
        Assert.Contains("| beats LEBM's row? | **no** | yes |", markdown);
        Assert.Contains("Gaussian (f = 0)", markdown);
        Assert.Equal(markdown, File.ReadAllText(Path.Combine(output, "paper-table.md")));
        Assert.NotNull(JsonNode.Parse(File.ReadAllText(Path.Combine(output, "paper-table.json"))));
    }

    [Fact]
    public void AMalformedReportIsAnErrorNamingTheFile()
    {
        string runs = TestPaths.NewTempFolder();
        FakeRun(runs, "ebm-digit4-seed1", 0.7, 0.7);
        File.WriteAllText(Path.Combine(runs, "ebm-digit4-seed1", "report.json"), "{ truncated");
        var error = Assert.Throws<IOException>(() => PaperTableJob.Collect(runs));
        Assert.Contains("report.json", error.Message);
    }
}
