namespace LatentEbm.Inference.Sampling;

/// <summary>
/// Uniform draws in [0, 1) of one stream, keyed by (seed, stream, domain) as <see cref="GaussianStream"/>: Philox4x32-10
/// with the seed as its 64-bit key and the counter (block, stream low, stream high, domain); each block's 128 bits give
/// two 53-bit uniforms. Made on the host in float64, so a request's draws are the same on every execution provider.
/// </summary>
/// <remarks>A mutable struct: keep it in an array or a local and advance it in place; a copy replays the same draws.</remarks>
/// <param name="seed">The key.</param>
/// <param name="stream">The stream within the seed: one per row of a request.</param>
/// <param name="domain">What the draws feed.</param>
public struct UniformStream(long seed, ulong stream, NoiseDomain domain)
{
    private uint block;
    private double spare;
    private bool hasSpare;

    /// <summary>The next draw in [0, 1).</summary>
    /// <exception cref="InvalidOperationException">The stream's 2^33 draws are spent.</exception>
    public double Next()
    {
        if (hasSpare) { hasSpare = false; return spare; }
        if (block == uint.MaxValue) throw new InvalidOperationException("a uniform stream holds 2^33 draws; this one is spent");
        (double first, spare) = Philox4x32.Uniforms(block++, stream, domain, seed);
        hasSpare = true;
        return first;
    }

    /// <summary>Fills <paramref name="destination"/> with the next draws as float32, each below 1 (a float32 rounding up to 1 is clamped to the largest float below 1).</summary>
    public void Fill(Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = Math.Min((float)Next(), BelowOne);
    }

    private static readonly float BelowOne = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(1f) - 1);
}
