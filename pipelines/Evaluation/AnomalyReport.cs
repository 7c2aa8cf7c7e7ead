using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LatentEbm.Data.IO;

namespace LatentEbm.Pipelines.Evaluation;

/// <summary>One score term ranked alone.</summary>
/// <param name="PrAuc">Trapezoid AUPRC (ties grouped).</param>
/// <param name="AveragePrecision">Step-sum average precision.</param>
/// <param name="Uninformative">The term is constant or nearly so: its AUPRC is the tie value (1 + prevalence) / 2 and means nothing.</param>
public sealed record TermRanking(double PrAuc, double AveragePrecision, bool Uninformative);

/// <summary>
/// The anomaly-detection report of a run (<c>report.json</c>): PAPER.md's protocol, anomaly = positive.
/// <c>pr_auc</c> is the trapezoid area between distinct thresholds (the metric of the paper's tables),
/// <c>average_precision</c> the step sum, both with tied scores grouped; <c>auprc_mlnet</c> is ML.NET's
/// estimate (ungrouped ties, row order dependent).
/// </summary>
public sealed record AnomalyReport
{
    /// <summary>The anomaly class's index (the digit for MNIST).</summary>
    public int HoldoutDigit { get; init; }

    /// <summary>The anomaly class's name when it was held out by name (<c>--holdout-class</c>), else null.</summary>
    public string? HoldoutClass { get; init; }

    /// <summary>"digit 4" or "class cat", for tables and titles.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string HeldOut => HoldoutClass is null ? $"digit {HoldoutDigit}" : $"class {HoldoutClass}";

    /// <summary>Area under the PR curve, trapezoid between distinct thresholds (sklearn <c>auc(recall, precision)</c>).</summary>
    public double PrAuc { get; init; }

    /// <summary>Average precision, step sum (sklearn <c>average_precision_score</c>).</summary>
    public double AveragePrecision { get; init; }

    /// <summary>ML.NET's <c>EvaluateNonCalibrated</c> AUPRC estimate.</summary>
    public double AuprcMlnet { get; init; }

    /// <summary>Area under the ROC curve.</summary>
    public double Auroc { get; init; }

    /// <summary>Share of anomalies in the test set: the AUPRC of a random score.</summary>
    public double Prevalence { get; init; }

    /// <summary>Test images scored.</summary>
    public int NTest { get; init; }

    /// <summary>Training wall time in seconds (all epochs, resumed ones included).</summary>
    public double TrainSeconds { get; init; }

    /// <summary>Wall time of scoring the test set, in seconds.</summary>
    public double ScoreSeconds { get; init; }

    /// <summary>Whether the score is constant or nearly so (<see cref="AnomalyRankingMetrics.IsNearlyConstant"/>): its AUPRC then means nothing.</summary>
    public bool Uninformative { get; init; }

    /// <summary>How the score was computed (term weights, test-time chain).</summary>
    public Dictionary<string, object> Score { get; init; } = [];

    /// <summary>Each score term alone (the anomaly score's ingredients) ranked on the test split, for insight; never used to select anything.</summary>
    public Dictionary<string, TermRanking> RankingByTerm { get; init; } = [];

    /// <summary>Builds the report from labels and scores.</summary>
    /// <exception cref="InvalidScoresException">Empty, one class, or non-finite scores.</exception>
    public static AnomalyReport Evaluate(int holdoutDigit, IReadOnlyList<byte> labels, IReadOnlyList<double> scores,
        double trainSeconds, double scoreSeconds, Dictionary<string, object> scoreSettings, Dictionary<string, double[]>? terms = null)
    {
        var metrics = AnomalyRankingMetrics.Compute(labels, scores);
        TermRanking Rank(double[] term)
        {
            var m = AnomalyRankingMetrics.Compute(labels, term);
            return new TermRanking(m.PrAuc, m.AveragePrecision, AnomalyRankingMetrics.IsNearlyConstant(term));
        }
        return new AnomalyReport
        {
            HoldoutDigit = holdoutDigit,
            PrAuc = metrics.PrAuc,
            AveragePrecision = metrics.AveragePrecision,
            AuprcMlnet = MlNetAuprc.Estimate(labels, scores),
            Auroc = metrics.RocAuc,
            Prevalence = metrics.Prevalence,
            NTest = metrics.Count,
            TrainSeconds = trainSeconds,
            ScoreSeconds = scoreSeconds,
            Score = scoreSettings,
            Uninformative = AnomalyRankingMetrics.IsNearlyConstant(scores),
            RankingByTerm = terms?.ToDictionary(t => t.Key, t => Rank(t.Value)) ?? [],
        };
    }

    /// <summary>JSON options: snake_case keys, indented.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>Writes <c>report.json</c> and <c>scores.csv</c> (<c>label,score</c>, one row per test image) into <paramref name="folder"/>, atomically.</summary>
    public void Write(string folder, IReadOnlyList<byte> labels, IReadOnlyList<double> scores)
    {
        AtomicFile.WriteAllText(Path.Combine(folder, "report.json"), JsonSerializer.Serialize(this, JsonOptions));
        var csv = new StringBuilder("label,score\n");
        for (int i = 0; i < labels.Count; i++)
            csv.Append(labels[i]).Append(',').Append(scores[i].ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(folder, "scores.csv"), csv.ToString());
    }
}
