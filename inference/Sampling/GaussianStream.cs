namespace LatentEbm.Inference.Sampling;

/// <summary>
/// Standard-normal draws of one stream, keyed by (seed, stream, domain): Philox4x32-10 with the seed as
/// its 64-bit key and the counter (block, stream low, stream high, domain), each block's 128 bits giving
/// two 53-bit uniforms and, by the Box–Muller transform, two N(0, 1) draws. Every (seed, stream, domain)
/// owns its own part of the counter space, so nearby seeds and neighbouring rows never share draws,
/// shifted or not; the draws are made on the host in float64, so a request's noise, and so its answer,
/// is the same on every execution provider (CPU and CUDA runs differ only by rounding in the graphs) and
/// every .NET version. A stream holds 2^33 draws.
/// </summary>
/// <remarks>A mutable struct: keep it in an array or a local and advance it in place; a copy replays the same draws.</remarks>
/// <param name="seed">The key: every 64-bit value, negative ones included, is its own family of streams.</param>
/// <param name="stream">The stream within the seed: one per row of a request or dataset.</param>
/// <param name="domain">What the draws feed.</param>
public struct GaussianStream(long seed, ulong stream, NoiseDomain domain)
{
    private uint block;
    private double spare;
    private bool hasSpare;

    /// <summary>The next N(0, 1) draw.</summary>
    /// <exception cref="InvalidOperationException">The stream's 2^33 draws are spent.</exception>
    public double Next()
    {
        if (hasSpare) { hasSpare = false; return spare; }
        if (block == uint.MaxValue) throw new InvalidOperationException("a Gaussian stream holds 2^33 draws; this one is spent");
        var (u0, u2) = Philox4x32.Uniforms(block++, stream, domain, seed);
        double u1 = 1.0 - u0; // (0, 1]: the logarithm stays finite
        double radius = Math.Sqrt(-2.0 * Math.Log(u1)), angle = 2.0 * Math.PI * u2;
        spare = radius * Math.Sin(angle);
        hasSpare = true;
        return radius * Math.Cos(angle);
    }

    /// <summary>Fills <paramref name="destination"/> with the next draws, each times <paramref name="scale"/>, as float32.</summary>
    public void Fill(Span<float> destination, double scale = 1.0)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = (float)(scale * Next());
    }
}
