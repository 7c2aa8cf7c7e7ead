using Microsoft.ML;
using Microsoft.ML.Data;

namespace LatentEbm.Pipelines.Evaluation;

/// <summary>
/// ML.NET's own estimate of the area under the precision-recall curve, from
/// <c>BinaryClassification.EvaluateNonCalibrated</c>: reported beside <see cref="AnomalyRankingMetrics"/>
/// and labelled as ML.NET's. It differs from scikit-learn's by construction: a trapezoid over rows
/// without grouping tied scores (so it depends on row order), computed on a sample above 100,000 rows.
/// </summary>
public static class MlNetAuprc
{
    private sealed class Row
    {
        public bool Label { get; set; }
        public float Score { get; set; }
        public bool PredictedLabel { get; set; }
    }

    /// <summary>ML.NET's AUPRC of <paramref name="scores"/> (label 1 = anomaly = positive).</summary>
    /// <exception cref="InvalidScoresException">Same checks as <see cref="AnomalyRankingMetrics.Compute"/> (ML.NET would drop NaN scores silently).</exception>
    public static double Estimate(IReadOnlyList<byte> labels, IReadOnlyList<double> scores, int seed = 0)
    {
        var metrics = AnomalyRankingMetrics.Compute(labels, scores); // validates: no NaN, both classes
        // EvaluateNonCalibrated requires a PredictedLabel column; the threshold does not enter AUPRC.
        // Predict the top-prevalence share of rows as anomalies.
        double[] sorted = [.. scores.OrderDescending()];
        double threshold = sorted[Math.Max(0, metrics.Positives - 1)];
        var rows = Enumerable.Range(0, labels.Count).Select(i => new Row
        {
            Label = labels[i] == 1,
            Score = (float)scores[i],
            PredictedLabel = scores[i] >= threshold,
        });
        var context = new MLContext(seed);
        var data = context.Data.LoadFromEnumerable(rows);
        var result = context.BinaryClassification.EvaluateNonCalibrated(data, "Label", "Score", "PredictedLabel");
        return result.AreaUnderPrecisionRecallCurve;
    }
}
