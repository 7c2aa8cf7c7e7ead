namespace LatentEbm.Inference.Sampling;

/// <summary>
/// Philox4x32-10, the counter-based random bijection of Salmon, Moraes, Dror and Shaw ("Parallel random
/// numbers: as easy as 1, 2, 3", SC 2011), as in Random123 and in PyTorch's CUDA generator (curand):
/// a 128-bit counter and a 64-bit key map to 128 random bits in 10 rounds. Distinct counters under one
/// key, or one counter under distinct keys, give unrelated outputs, so streams laid out in the counter
/// space never overlap and need no state beyond their position.
/// </summary>
public static class Philox4x32
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57; // round multipliers
    private const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85; // Weyl key increments (golden ratio, sqrt(3) - 1)

    /// <summary>The 10-round bijection of counter (c0, c1, c2, c3) under key (k0, k1).</summary>
    /// <returns>Four 32-bit words, uniform on [0, 2^32).</returns>
    public static (uint X0, uint X1, uint X2, uint X3) Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < 10; round++)
        {
            if (round > 0) { k0 += W0; k1 += W1; }
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            (c0, c1, c2, c3) = ((uint)(p1 >> 32) ^ c1 ^ k0, (uint)p1, (uint)(p0 >> 32) ^ c3 ^ k1, (uint)p0);
        }
        return (c0, c1, c2, c3);
    }

    /// <summary>
    /// Block <paramref name="block"/> of the stream (seed, stream, domain) as two 53-bit uniforms in [0, 1): the counter is
    /// (block, stream low, stream high, domain) and the key the seed's two halves (the layout of <see cref="GaussianStream"/>
    /// and <see cref="UniformStream"/>).
    /// </summary>
    internal static (double U0, double U1) Uniforms(uint block, ulong stream, NoiseDomain domain, long seed)
    {
        const double unit53 = 1.0 / (1UL << 53);
        var (x0, x1, x2, x3) = Block(block, (uint)stream, (uint)(stream >> 32), (uint)domain, (uint)seed, (uint)((ulong)seed >> 32));
        return (((((ulong)x0 << 32) | x1) >> 11) * unit53, ((((ulong)x2 << 32) | x3) >> 11) * unit53);
    }
}
