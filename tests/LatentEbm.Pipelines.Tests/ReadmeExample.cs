using LatentEbm.Pipelines.Evaluation;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace LatentEbm.Pipelines.Tests;

/// <summary>The ML.NET example of README.md, compiled and run by <see cref="ReadmeExampleTests"/>.</summary>
public static class ReadmeExample
{
    // begin README example
    public sealed class DigitImage
    {
        [VectorType(784)] public float[] Features { get; set; } = []; // 28x28 pixels scaled to [-1, 1]
        public bool IsAnomaly { get; set; }                              // label: anomaly = positive
    }

    public static AnomalyRankingMetrics ScoreDigits(string bundlePath, IEnumerable<DigitImage> images)
    {
        var mlContext = new MLContext(seed: 0);
        IDataView data = mlContext.Data.LoadFromEnumerable(images);

        var pipeline = mlContext.Transforms.ScoreLatentEbmAnomaly(bundlePath, outputColumnName: "Score", inputColumnName: "Features");
        using var scorer = pipeline.Fit(data);                   // holds the bundle's ONNX Runtime sessions
        IDataView scored = scorer.Transform(data);               // adds a Single "Score": higher = more anomalous

        byte[] labels = [.. scored.GetColumn<bool>("IsAnomaly").Select(a => (byte)(a ? 1 : 0))];
        double[] scores = [.. scored.GetColumn<float>("Score").Select(s => (double)s)];
        return AnomalyRankingMetrics.Compute(labels, scores);            // PrAuc (the paper's AUPRC), AveragePrecision, RocAuc
    }
    // end README example
}
