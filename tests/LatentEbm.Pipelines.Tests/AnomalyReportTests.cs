using System.Text.Json;
using LatentEbm.Pipelines.Evaluation;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Pipelines.Tests;

public class AnomalyReportTests
{
    [Fact]
    public void WritesTheReportKeysAndOneScoreRowPerImage()
    {
        byte[] labels = [0, 1, 0, 1, 0];
        double[] scores = [0.1, 0.9, 0.3, 0.2, 0.05];
        var report = AnomalyReport.Evaluate(4, labels, scores, trainSeconds: 12.5, scoreSeconds: 1, new() { ["weights"] = "log_joint" });
        string folder = TestPaths.NewTempFolder();
        report.Write(folder, labels, scores);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "report.json")));
        foreach (var key in new[] { "holdout_digit", "pr_auc", "average_precision", "auprc_mlnet", "auroc", "prevalence", "n_test", "train_seconds" })
            Assert.True(json.RootElement.TryGetProperty(key, out _), key);
        Assert.Equal(4, json.RootElement.GetProperty("holdout_digit").GetInt32());
        Assert.Equal(5, json.RootElement.GetProperty("n_test").GetInt32());
        // Ranking 1(0.9) 0(0.3) 1(0.2) 0(0.1) 0(0.05): AP = 0.5*1 + 0.5*(2/3).
        Assert.Equal(0.5 + 0.5 * 2.0 / 3.0, json.RootElement.GetProperty("average_precision").GetDouble(), 1e-12);

        var lines = File.ReadAllLines(Path.Combine(folder, "scores.csv"));
        Assert.Equal("label,score", lines[0]);
        Assert.Equal(6, lines.Length);
        Assert.Equal("1,0.9", lines[2]);
    }
}
