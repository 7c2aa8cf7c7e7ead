namespace LatentEbm.Pipelines.Evaluation;

/// <summary>
/// Threshold-free ranking metrics of anomaly scores, label 1 = anomaly = the positive class,
/// higher score = more anomalous. Tied scores enter together: one operating point per distinct
/// threshold, taken in descending order, as scikit-learn does (results do not depend on row order).
/// </summary>
/// <remarks>
/// Points: for each distinct threshold t (descending), precision = TP/(TP+FP), recall = TP/P,
/// preceded by (recall 0, precision 1) as in scikit-learn 1.2's <c>precision_recall_curve</c>.
/// <list type="bullet">
/// <item><see cref="PrAuc"/>: trapezoid area under precision over recall through those points, =
/// <c>sklearn.metrics.auc(recall, precision)</c>, the "AUPRC" of PAPER.md's tables.</item>
/// <item><see cref="AveragePrecision"/>: Σ (R_n - R_{n-1}) P_n, = <c>average_precision_score</c>.</item>
/// <item><see cref="RocAuc"/>: trapezoid area under TPR over FPR, = <c>roc_auc_score</c>.</item>
/// </list>
/// </remarks>
public sealed record AnomalyRankingMetrics(double PrAuc, double AveragePrecision, double RocAuc, double Prevalence, int Count, int Positives)
{
    /// <summary>
    /// The precision-recall operating points, one per distinct threshold in descending order, preceded by
    /// (recall 0, precision 1): the curve whose trapezoid area is <see cref="PrAuc"/>.
    /// </summary>
    /// <exception cref="InvalidScoresException">As <see cref="Compute"/>.</exception>
    public static (double[] Recall, double[] Precision) Curve(IReadOnlyList<byte> labels, IReadOnlyList<double> scores)
    {
        var recall = new List<double> { 0 };
        var precision = new List<double> { 1 };
        Walk(labels, scores, (r, p, _, _) => { recall.Add(r); precision.Add(p); });
        return ([.. recall], [.. precision]);
    }

    /// <summary>Relative spread at or below which a score counts as constant: float32 rounding of one value.</summary>
    public const double ConstantSpread = 1e-6;

    /// <summary>
    /// Whether the scores are constant or nearly so (max − min ≤ <see cref="ConstantSpread"/> × max |score|):
    /// such a score ranks nothing, yet the trapezoid rule gives every such tie (1 + prevalence) / 2, which
    /// can read as a good AUPRC, so reports call it uninformative.
    /// </summary>
    public static bool IsNearlyConstant(IReadOnlyList<double> scores)
    {
        if (scores.Count == 0) return true;
        double min = scores.Min(), max = scores.Max();
        return max - min <= ConstantSpread * Math.Max(Math.Abs(min), Math.Abs(max));
    }

    /// <summary>Computes all metrics in one pass over the scores sorted descending (O(n log n)).</summary>
    /// <param name="labels">Per row 1 = anomaly (positive), 0 = normal.</param>
    /// <param name="scores">Per row anomaly score; must be finite.</param>
    /// <exception cref="InvalidScoresException">Lengths differ, the set is empty, a label is not 0/1, a score is not finite, or one class is missing.</exception>
    public static AnomalyRankingMetrics Compute(IReadOnlyList<byte> labels, IReadOnlyList<double> scores)
    {
        double prAuc = 0, ap = 0, rocAuc = 0;
        double prevRecall = 0, prevPrecision = 1, prevFpr = 0, prevTpr = 0;
        var (positives, count) = Walk(labels, scores, (recall, precision, tpr, fpr) =>
        {
            prAuc += (recall - prevRecall) * (precision + prevPrecision) / 2;
            ap += (recall - prevRecall) * precision;
            rocAuc += (fpr - prevFpr) * (tpr + prevTpr) / 2;
            (prevRecall, prevPrecision, prevFpr, prevTpr) = (recall, precision, fpr, tpr);
        });
        return new AnomalyRankingMetrics(prAuc, ap, rocAuc, (double)positives / count, count, positives);
    }

    /// <summary>
    /// Validates, sorts by descending score, and calls <paramref name="point"/> with (recall, precision,
    /// TPR, FPR) once per distinct threshold, tied scores entering together.
    /// </summary>
    private static (int Positives, int Count) Walk(IReadOnlyList<byte> labels, IReadOnlyList<double> scores, Action<double, double, double, double> point)
    {
        if (labels.Count != scores.Count)
            throw new InvalidScoresException($"{labels.Count} labels but {scores.Count} scores");
        if (labels.Count == 0)
            throw new InvalidScoresException("no rows to evaluate");
        int positives = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            if (labels[i] > 1) throw new InvalidScoresException($"label {labels[i]} at row {i} is not 0 or 1");
            if (!double.IsFinite(scores[i])) throw new InvalidScoresException($"score at row {i} is {scores[i]}, not finite");
            positives += labels[i];
        }
        int negatives = labels.Count - positives;
        if (positives == 0) throw new InvalidScoresException($"all {labels.Count} rows are normal (label 0): precision and recall are undefined without anomalies");
        if (negatives == 0) throw new InvalidScoresException($"all {labels.Count} rows are anomalies (label 1): the ranking metrics need both classes");

        int[] order = [.. Enumerable.Range(0, scores.Count)];
        Array.Sort(order, (a, b) => scores[b].CompareTo(scores[a]));
        long tp = 0, fp = 0;
        for (int i = 0; i < order.Length;)
        {
            double threshold = scores[order[i]];
            for (; i < order.Length && scores[order[i]] == threshold; i++)
            {
                if (labels[order[i]] == 1) tp++; else fp++;
            }
            double recall = (double)tp / positives;
            point(recall, (double)tp / (tp + fp), recall, (double)fp / negatives);
        }
        return (positives, labels.Count);
    }
}
