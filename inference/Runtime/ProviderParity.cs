using LatentEbm.Inference.Benchmarks;

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
        var (a, cpuSeconds) = MedianTiming.Measure(() => op(cpu), repeats);
        var (b, cudaSeconds) = MedianTiming.Measure(() => op(cuda), repeats);
        return new ParityResult(name, rows, cpuSeconds * 1e3, cudaSeconds * 1e3, MedianTiming.MaxRelativeDifference(b, a));
    }
}
