using System.Diagnostics;

namespace LatentEbm.Inference.Runtime;

/// <summary>One operation run on CPU and on CUDA with the same seeds.</summary>
/// <param name="Operation">What ran.</param>
/// <param name="Rows">Rows per call.</param>
/// <param name="CpuMs">Median CPU milliseconds per call.</param>
/// <param name="CudaMs">Median CUDA milliseconds per call.</param>
/// <param name="MaxRelativeDifference">max |cuda - cpu| / max |cpu| over the outputs.</param>
public sealed record ParityResult(string Operation, int Rows, double CpuMs, double CudaMs, double MaxRelativeDifference);

/// <summary>
/// The GPU check: the same bundle on the CPU and the CUDA provider (TF32 off), the same seeds and
/// host-drawn noise, compared output by output and timed. Needs a CUDA machine; elsewhere opening
/// the CUDA side throws <see cref="ExecutionProviderException"/>.
/// </summary>
public static class ProviderParity
{
    /// <summary>Runs prior sampling and anomaly scoring at each batch size on both providers.</summary>
    public static IReadOnlyList<ParityResult> Run(string bundle, float[] images, int imageCount, int deviceId = 0, int repeats = 10)
    {
        using var cpu = LatentEbmInference.Open(bundle, new ExecutionOptions(ExecutionProvider.Cpu));
        using var cuda = LatentEbmInference.Open(bundle, new ExecutionOptions(ExecutionProvider.Cuda, deviceId));
        var results = new List<ParityResult>();
        foreach (int rows in new[] { 1, 100, Math.Min(1000, imageCount) })
        {
            results.Add(Compare("prior samples (K0 chain + decode)", rows, repeats,
                m => m.SamplePrior(rows, seed: 7).Images!, cpu, cuda));
            var x = images.AsSpan(0, rows * cpu.PixelsPerImage).ToArray();
            results.Add(Compare("anomaly scores (posterior chain + score)", rows, repeats,
                m => m.Score(x, rows, seed: 7), cpu, cuda));
        }
        return results;
    }

    private static ParityResult Compare(string name, int rows, int repeats, Func<LatentEbmInference, float[]> op, LatentEbmInference cpu, LatentEbmInference cuda)
    {
        var (a, cpuMs) = Time(() => op(cpu), repeats);
        var (b, cudaMs) = Time(() => op(cuda), repeats);
        double err = 0, scale = 1e-30;
        for (int i = 0; i < a.Length; i++) { err = Math.Max(err, Math.Abs(a[i] - b[i])); scale = Math.Max(scale, Math.Abs(a[i])); }
        return new ParityResult(name, rows, cpuMs, cudaMs, err / scale);
    }

    private static (float[] Last, double MedianMs) Time(Func<float[]> run, int repeats)
    {
        var last = run(); // warm-up
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            last = run();
            times[i] = watch.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return (last, times[repeats / 2]);
    }
}
