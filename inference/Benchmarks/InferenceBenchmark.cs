using System.Diagnostics;
using LatentEbm.Inference.Runtime;

namespace LatentEbm.Inference.Benchmarks;

/// <summary>Throughput of one operation of <see cref="LatentEbmInference"/>.</summary>
/// <param name="Operation">What ran.</param>
/// <param name="Batch">Images or samples per call.</param>
/// <param name="Items">Images or samples processed in the timed pass.</param>
/// <param name="Seconds">Wall time of the timed pass.</param>
public sealed record Throughput(string Operation, int Batch, int Items, double Seconds)
{
    /// <summary>Items per second.</summary>
    public double PerSecond => Items / Seconds;
}

/// <summary>
/// Times posterior inference (the bundle's test-time posterior chain), anomaly scoring (chain plus
/// score graph) and prior sampling with decoding on a bundle, one warm-up call each, then one timed
/// pass over the given images in batches.
/// </summary>
public static class InferenceBenchmark
{
    /// <summary>Runs the measurement.</summary>
    /// <param name="bundle">Bundle folder.</param>
    /// <param name="images">Images, row-major, on the model's scale.</param>
    /// <param name="count">Number of images.</param>
    /// <param name="batch">Images per call.</param>
    /// <param name="options">Execution provider and threads.</param>
    public static IReadOnlyList<Throughput> Run(string bundle, float[] images, int count, int batch, ExecutionOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        using var inference = LatentEbmInference.Open(bundle, options);
        int pixels = inference.PixelsPerImage;
        float[] Slice(int start, int n) => images.AsSpan(start * pixels, n * pixels).ToArray();
        Throughput Time(string name, Action<int, int> call)
        {
            call(0, Math.Min(batch, count)); // warm-up
            var watch = Stopwatch.StartNew();
            for (int start = 0; start < count; start += batch) call(start, Math.Min(batch, count - start));
            return new Throughput(name, Math.Min(batch, count), count, watch.Elapsed.TotalSeconds);
        }
        return
        [
            Time("posterior inference (latents)", (s, n) => inference.InferLatents(Slice(s, n), n, seed: s)),
            Time("anomaly scoring", (s, n) => inference.Score(Slice(s, n), n, seed: s)),
            Time("prior sampling with decoding", (s, n) => inference.SamplePrior(n, seed: s)),
        ];
    }
}
