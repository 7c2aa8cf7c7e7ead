using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace LatentEbm.Pipelines.Benchmarks;

/// <summary>Images per second through the ML.NET estimator <c>ScoreLatentEbmAnomaly</c> (a vector column of pixels).</summary>
public static class MlNetScoringBenchmark
{
    private sealed class ImageRow
    {
        [VectorType] public float[] Features { get; set; } = [];
    }

    /// <summary>Scores <paramref name="count"/> images once after a 100-image warm-up, and returns the images per second.</summary>
    /// <param name="bundle">Model bundle folder.</param>
    /// <param name="pixels">Images <c>[N, C·H·W]</c>, row-major, on the bundle's pixel range; N ≥ <paramref name="count"/>.</param>
    /// <param name="pixelsPerImage">C·H·W.</param>
    /// <param name="count">Images timed.</param>
    /// <returns>Images per second, and the seconds the timed pass took.</returns>
    public static (double ImagesPerSecond, double Seconds) Run(string bundle, float[] pixels, int pixelsPerImage, int count)
    {
        var ml = new MLContext(0);
        IDataView Rows(int start, int n)
        {
            var rows = Enumerable.Range(start, n).Select(i => new ImageRow { Features = pixels.AsSpan(i * pixelsPerImage, pixelsPerImage).ToArray() });
            var definition = SchemaDefinition.Create(typeof(ImageRow));
            definition[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, pixelsPerImage);
            return ml.Data.LoadFromEnumerable(rows, definition);
        }
        var warm = Rows(0, Math.Min(100, count));
        using var transformer = ml.Transforms.ScoreLatentEbmAnomaly(bundle).Fit(warm);
        _ = transformer.Transform(warm).GetColumn<float>("Score").ToArray();
        var data = Rows(0, count);
        var watch = Stopwatch.StartNew();
        float[] scores = [.. transformer.Transform(data).GetColumn<float>("Score")];
        double seconds = watch.Elapsed.TotalSeconds;
        if (scores.Length != count || !scores.All(float.IsFinite)) throw new InvalidOperationException("the pipeline returned missing or non-finite scores");
        return (count / seconds, seconds);
    }
}
