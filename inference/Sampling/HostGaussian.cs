namespace LatentEbm.Inference.Sampling;

/// <summary>
/// Standard-normal draws on the host from a seed (SplitMix64 uniforms, 53-bit, and the Box–Muller
/// transform), so that a request's noise, and so its answer, is the same on every provider (CPU and
/// CUDA runs of one seed differ only by floating-point rounding) and on every .NET version. Every
/// 32-bit seed, negative ones included, gives its own stream.
/// </summary>
public sealed class HostGaussian(int seed)
{
    private ulong state = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + 0xD1B54A32D192ED03UL);
    private double? spare;

    /// <summary>One uniform draw in [0, 1) (SplitMix64, top 53 bits).</summary>
    public double NextUniform()
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>One N(0, 1) draw.</summary>
    public double Next()
    {
        if (spare is double s) { spare = null; return s; }
        double u1 = 1.0 - NextUniform(), u2 = NextUniform();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1)), angle = 2.0 * Math.PI * u2;
        spare = radius * Math.Sin(angle);
        return radius * Math.Cos(angle);
    }

    /// <summary><paramref name="count"/> draws, each times <paramref name="scale"/>, as float32.</summary>
    public float[] Fill(long count, double scale = 1.0)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = (float)(scale * Next());
        return values;
    }
}
