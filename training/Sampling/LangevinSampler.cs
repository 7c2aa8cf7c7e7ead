using LatentEbm.Training.Model;
using static TorchSharp.torch;

namespace LatentEbm.Training.Sampling;

/// <summary>
/// Short-run Langevin chains on the latent space (PAPER.md, "Learning", step 3, in the official
/// code's convention): <c>z_{k+1} = z_k + (s^2 / 2) ∇_z log p(z_k) + s eps_k</c>, eps_k ~ N(0, I),
/// for K steps from the given start. The paper writes s/2 and sqrt(s); its code's s is the square
/// root of that. No autograd graph is kept from one step to the next.
/// </summary>
public static class LangevinSampler
{
    /// <summary>
    /// The prior chain: K steps on log p_alpha(z) = f_alpha(z) - |z|^2 / (2 sigma0^2) + const.
    /// </summary>
    /// <param name="model">The model whose prior is sampled.</param>
    /// <param name="z0">Start <c>[B, nz]</c>, typically N(0, sigma0^2 I); not modified or disposed.</param>
    /// <param name="steps">K (≥ 0).</param>
    /// <param name="stepSize">s (&gt; 0).</param>
    /// <param name="noise">Noise per step, or null for the noiseless (gradient-ascent) chain.</param>
    /// <returns>z_K <c>[B, nz]</c>, detached (a new tensor even when K = 0).</returns>
    public static Tensor PriorChain(LatentEbmModel model, Tensor z0, int steps, double stepSize, INoiseSource? noise)
    {
        using var target = model.PriorTarget();
        return Run(z0, steps, stepSize, noise, target.Gradient);
    }

    /// <summary>
    /// The posterior chain: K steps on log p(z|x) = -|x - g(z)|^2 / (2 sigma^2) + f(z) - |z|^2 / (2 sigma0^2) + const.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="x">Observed images <c>[B, C, H, W]</c>.</param>
    /// <param name="z0">Start <c>[B, nz]</c>; not modified or disposed.</param>
    /// <param name="steps">K (≥ 0).</param>
    /// <param name="stepSize">s (&gt; 0).</param>
    /// <param name="noise">Noise per step, or null for the noiseless chain.</param>
    /// <param name="generatorMatmulType">Null for the exact chain, or <c>bfloat16</c> for mixed precision (<see cref="LatentEbmModel.PosteriorTarget"/>).</param>
    /// <returns>z_K <c>[B, nz]</c>, detached.</returns>
    public static Tensor PosteriorChain(LatentEbmModel model, Tensor x, Tensor z0, int steps, double stepSize, INoiseSource? noise, ScalarType? generatorMatmulType = null)
    {
        using var target = model.PosteriorTarget(x, generatorMatmulType);
        return Run(z0, steps, stepSize, noise, target.Gradient);
    }

    /// <summary>
    /// K steps z_{k+1} = z_k + (s_k^2 / 2) ∇_z log p(z_k) + s_k eps_k with a constant step size s_k = s.
    /// </summary>
    /// <param name="z0">Start <c>[B, nz]</c>; not modified or disposed.</param>
    /// <param name="steps">K (≥ 0).</param>
    /// <param name="stepSize">s (&gt; 0).</param>
    /// <param name="noise">Noise per step, or null for the noiseless chain.</param>
    /// <param name="gradLogDensity">∇_z log p, <c>[B, nz]</c> to <c>[B, nz]</c>.</param>
    /// <returns>z_K <c>[B, nz]</c>, detached (a new tensor even when K = 0).</returns>
    /// <exception cref="ArgumentOutOfRangeException">K is negative or s is not positive.</exception>
    public static Tensor Run(Tensor z0, int steps, double stepSize, INoiseSource? noise, Func<Tensor, Tensor> gradLogDensity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        return Run(z0, Enumerable.Repeat(stepSize, steps).ToArray(), noise, gradLogDensity);
    }

    /// <summary>
    /// K = <paramref name="stepSizes"/>.Count steps z_{k+1} = z_k + (s_k^2 / 2) ∇_z log p(z_k) + s_k eps_k, each with its
    /// own step size (the text model's decreasing posterior schedule, PAPER.md "Text model").
    /// </summary>
    /// <param name="z0">Start <c>[B, nz]</c>; not modified or disposed.</param>
    /// <param name="stepSizes">s_0 ... s_{K-1}, each &gt; 0.</param>
    /// <param name="noise">Noise per step, or null for the noiseless chain.</param>
    /// <param name="gradLogDensity">∇_z log p, <c>[B, nz]</c> to <c>[B, nz]</c>.</param>
    /// <returns>z_K <c>[B, nz]</c>, detached (a new tensor even when K = 0).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A step size is not positive.</exception>
    public static Tensor Run(Tensor z0, IReadOnlyList<double> stepSizes, INoiseSource? noise, Func<Tensor, Tensor> gradLogDensity)
    {
        foreach (double s in stepSizes)
            if (!(s > 0)) throw new ArgumentOutOfRangeException(nameof(stepSizes), s, "Langevin step size must be positive");
        Tensor z = z0.detach().clone();
        foreach (double stepSize in stepSizes)
        {
            using var scope = NewDisposeScope();
            Tensor next = z + 0.5 * stepSize * stepSize * gradLogDensity(z);
            if (noise is not null) next = next + stepSize * noise.Next(z);
            next = next.detach().MoveToOuterDisposeScope();
            z.Dispose();
            z = next;
        }
        return z;
    }
}
