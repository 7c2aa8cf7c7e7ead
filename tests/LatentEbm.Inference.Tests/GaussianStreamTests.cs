using LatentEbm.Inference.Sampling;

namespace LatentEbm.Inference.Tests;

/// <summary>The host noise: Philox4x32-10 against Random123's known answers, disjoint streams, and N(0, 1) draws.</summary>
public class GaussianStreamTests
{
    [Theory] // Random123's tests/kat_vectors for philox4x32_10: counter, key, expected output
    [InlineData(0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void PhiloxMatchesRandom123KnownAnswers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint x0, uint x1, uint x2, uint x3) =>
        Assert.Equal((x0, x1, x2, x3), Philox4x32.Block(c0, c1, c2, c3, k0, k1));

    [Fact]
    public void NearbySeedsRowsAndChainsShareNoDrawsShiftedOrNot()
    {
        var streams = new List<double[]>();
        foreach (var domain in new[] { NoiseDomain.PriorChain, NoiseDomain.PosteriorChain })
            for (long seed = -4; seed <= 12; seed++)
                for (ulong stream = 0; stream < 12; stream++)
                    streams.Add(Draws(new GaussianStream(seed, stream, domain), 128));
        Assert.Null(SharedWindow(streams));

        // The check catches the old generator: SplitMix64 from seed * golden + c gives seeds 7 and 9 one stream, shifted.
        Assert.Equal("stream 1 at 0 equals stream 0 at 2", SharedWindow([ShiftedSplitMix(7, 128), ShiftedSplitMix(9, 128)]));
    }

    [Fact]
    public void DrawsAreStandardNormal()
    {
        const int n = 200_000;
        var pooled = new List<double>(n);
        for (ulong stream = 0; stream < 100; stream++) pooled.AddRange(Draws(new GaussianStream(1, stream, NoiseDomain.PosteriorChain), n / 100));
        Assert.Null(NormalityFailure([.. pooled]));
        Assert.Null(NormalityFailure(Draws(new GaussianStream(-123456789012345, 7, NoiseDomain.PriorChain), n)));

        // The checks reject draws with a 2% wrong spread or a 0.02 shift.
        Assert.Contains("variance", NormalityFailure([.. pooled.Select(v => 1.02 * v)]));
        Assert.Contains("mean", NormalityFailure([.. pooled.Select(v => v + 0.02)]));
    }

    [Fact]
    public void FillScalesAndContinuesTheStream()
    {
        var a = new GaussianStream(3, 5, NoiseDomain.PriorChain);
        var b = a;
        var filled = new float[7];
        a.Fill(filled.AsSpan(0, 3), 2.0);
        a.Fill(filled.AsSpan(3));
        var expected = Draws(b, 7);
        for (int i = 0; i < 7; i++) Assert.Equal((float)((i < 3 ? 2.0 : 1.0) * expected[i]), filled[i]);
    }

    private static double[] Draws(GaussianStream stream, int count)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++) values[i] = stream.Next();
        return values;
    }

    /// <summary>The first pair of (stream, position) sharing a window of 4 consecutive draws, or null.</summary>
    private static string? SharedWindow(IReadOnlyList<double[]> streams)
    {
        var seen = new Dictionary<(double, double, double, double), (int Stream, int At)>();
        for (int s = 0; s < streams.Count; s++)
            for (int i = 0; i + 4 <= streams[s].Length; i++)
            {
                var key = (streams[s][i], streams[s][i + 1], streams[s][i + 2], streams[s][i + 3]);
                if (seen.TryGetValue(key, out var first)) return $"stream {s} at {i} equals stream {first.Stream} at {first.At}";
                seen[key] = (s, i);
            }
        return null;
    }

    /// <summary>
    /// Mean and variance within 5 standard errors of 0 and 1, and the Kolmogorov–Smirnov distance to
    /// N(0, 1) below its 0.1% critical value 1.949 / sqrt(n); null when all hold.
    /// </summary>
    private static string? NormalityFailure(double[] x)
    {
        int n = x.Length;
        double mean = x.Average(), variance = x.Sum(v => (v - mean) * (v - mean)) / (n - 1);
        if (Math.Abs(mean) > 5 / Math.Sqrt(n)) return $"mean {mean}";
        if (Math.Abs(variance - 1) > 5 * Math.Sqrt(2.0 / n)) return $"variance {variance}";
        var sorted = x.Order().ToArray();
        double d = 0;
        for (int i = 0; i < n; i++)
        {
            double cdf = NormalCdf(sorted[i]);
            d = Math.Max(d, Math.Max((i + 1.0) / n - cdf, cdf - (double)i / n));
        }
        return d < 1.949 / Math.Sqrt(n) ? null : $"Kolmogorov-Smirnov distance {d}";
    }

    /// <summary>Phi(x) through erfc (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7).</summary>
    private static double NormalCdf(double x)
    {
        double z = Math.Abs(x) / Math.Sqrt(2), t = 1 / (1 + 0.5 * z);
        double erfc = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
    }

    /// <summary>The generator this replaced: SplitMix64 from seed * golden + c, Box–Muller.</summary>
    private static double[] ShiftedSplitMix(int seed, int count)
    {
        ulong state = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + 0xD1B54A32D192ED03UL);
        double Uniform()
        {
            ulong z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return ((z ^ (z >> 31)) >> 11) * (1.0 / (1UL << 53));
        }
        var values = new double[count];
        for (int i = 0; i < count; i += 2)
        {
            double r = Math.Sqrt(-2.0 * Math.Log(1.0 - Uniform())), angle = 2.0 * Math.PI * Uniform();
            values[i] = r * Math.Cos(angle);
            values[i + 1] = r * Math.Sin(angle);
        }
        return values;
    }
}
