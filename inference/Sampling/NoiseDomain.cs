namespace LatentEbm.Inference.Sampling;

/// <summary>
/// What a noise stream feeds (the top word of its Philox counter), so that a prior chain and a posterior
/// chain of one seed and row never share draws.
/// </summary>
public enum NoiseDomain : uint
{
    /// <summary>Prior chains: the start z0 ~ N(0, sigma0² I), then the K0 steps' eps.</summary>
    PriorChain = 1,

    /// <summary>
    /// Posterior chains: the start z0 ~ N(0, sigma0² I), then each round's K steps' eps; a chain that starts at the
    /// encoder's mean draws no start, only its K_e refinement steps' eps, then each further round's.
    /// </summary>
    PosteriorChain = 2,

    /// <summary>Sampled text decoding: the uniforms u in [0, 1) of each decoding step (<see cref="UniformStream"/>).</summary>
    TextDecoding = 3,
}
