using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Model;

/// <summary>
/// The latent-space EBM prior model (PAPER.md, "Model"): prior
/// p_alpha(z) ∝ exp(f_alpha(z)) N(0, sigma0^2 I) and generator p_theta(x|z) = N(g_theta(z), sigma^2 I),
/// with the gradients of log p(z) and log p(z|x) that drive the short-run Langevin chains.
/// </summary>
public sealed class LatentEbmModel
{
    /// <summary>Pairs a prior network and a generator network.</summary>
    /// <param name="prior">f_alpha: <c>[B, nz]</c> -> <c>[B]</c> negative energies.</param>
    /// <param name="generator">g_theta: <c>[B, nz]</c> -> <c>[B, C, H, W]</c>.</param>
    /// <param name="nz">Latent dimension (&gt; 0).</param>
    /// <param name="sigma">Generator noise sigma (&gt; 0).</param>
    /// <param name="sigma0">Reference prior sigma0 (&gt; 0).</param>
    public LatentEbmModel(nn.Module<Tensor, Tensor> prior, nn.Module<Tensor, Tensor> generator, int nz, double sigma, double sigma0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nz);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sigma);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sigma0);
        Prior = prior;
        Generator = generator;
        Nz = nz;
        Sigma = sigma;
        Sigma0 = sigma0;
    }

    /// <summary>f_alpha, the negative energy.</summary>
    public nn.Module<Tensor, Tensor> Prior { get; }

    /// <summary>g_theta, the generator.</summary>
    public nn.Module<Tensor, Tensor> Generator { get; }

    /// <summary>Latent dimension nz.</summary>
    public int Nz { get; }

    /// <summary>Generator noise standard deviation sigma.</summary>
    public double Sigma { get; }

    /// <summary>Reference prior standard deviation sigma0.</summary>
    public double Sigma0 { get; }

    /// <summary>
    /// ∇_z log p_alpha(z) = ∇_z f_alpha(z) - z / sigma0^2 (PAPER.md: log p(z) = f(z) - |z|^2/(2 sigma0^2) + const).
    /// No autograd graph survives the call; parameter gradients are untouched.
    /// </summary>
    /// <param name="z">Latents <c>[B, nz]</c>.</param>
    /// <returns>The gradient <c>[B, nz]</c>, detached.</returns>
    public Tensor GradLogPrior(Tensor z)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var zz = z.detach().requires_grad_(true);
        var f = Prior.forward(zz).sum();
        var df = autograd.grad([f], [zz])[0];
        return (df - zz.detach() / (Sigma0 * Sigma0)).detach().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// ∇_z log p(z|x) = ∇_z [ -|x - g_theta(z)|^2 / (2 sigma^2) + f_alpha(z) ] - z / sigma0^2
    /// (PAPER.md, "Model"). No autograd graph survives the call; parameter gradients are untouched.
    /// </summary>
    /// <param name="x">Images <c>[B, C, H, W]</c> on the generator's scale.</param>
    /// <param name="z">Latents <c>[B, nz]</c>.</param>
    /// <returns>The gradient <c>[B, nz]</c>, detached.</returns>
    public Tensor GradLogPosterior(Tensor x, Tensor z)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var zz = z.detach().requires_grad_(true);
        var residual = x - Generator.forward(zz);
        var logJoint = Prior.forward(zz).sum() - residual.square().sum() / (2 * Sigma * Sigma);
        var d = autograd.grad([logJoint], [zz])[0];
        return (d - zz.detach() / (Sigma0 * Sigma0)).detach().MoveToOuterDisposeScope();
    }
}
