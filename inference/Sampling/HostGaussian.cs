namespace LatentEbm.Inference.Sampling;

/// <summary>
/// Standard-normal draws on the host from a seed (System.Random's seeded generator and the
/// Box–Muller transform), so that a request's noise, and so its answer, is the same on every
/// provider: CPU and CUDA runs of one seed differ only by floating-point rounding.
/// </summary>
public sealed class HostGaussian(int seed)
{
    private readonly Random random = new(seed);
    private double? spare;

    /// <summary>One N(0, 1) draw.</summary>
    public double Next()
    {
        if (spare is double s) { spare = null; return s; }
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
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
