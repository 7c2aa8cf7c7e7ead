using System.Diagnostics;

namespace LatentEbm.Inference.Benchmarks;

/// <summary>Timing and comparison helpers shared by the benchmarks and parity checks.</summary>
public static class MedianTiming
{
    /// <summary>Runs <paramref name="run"/> once to warm up, then <paramref name="repeats"/> timed times.</summary>
    /// <returns>The last result and the median wall time of one run, in seconds.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="repeats"/> is not positive.</exception>
    public static (T Last, double MedianSeconds) Measure<T>(Func<T> run, int repeats)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(repeats);
        var last = run(); // warm-up
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            last = run();
            times[i] = watch.Elapsed.TotalSeconds;
        }
        Array.Sort(times);
        return (last, times[repeats / 2]);
    }

    /// <summary>max |actual - reference| / max |reference| (0 when both are 0).</summary>
    /// <exception cref="ArgumentException">Different lengths.</exception>
    public static double MaxRelativeDifference(ReadOnlySpan<float> actual, ReadOnlySpan<float> reference)
    {
        if (actual.Length != reference.Length) throw new ArgumentException($"{actual.Length} values against {reference.Length}");
        double diff = 0, scale = 1e-30;
        for (int i = 0; i < actual.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs((double)actual[i] - reference[i]));
            scale = Math.Max(scale, Math.Abs((double)reference[i]));
        }
        return diff / scale;
    }
}
