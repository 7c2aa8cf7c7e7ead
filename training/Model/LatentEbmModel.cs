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

    /// <summary>
    /// The amortised posterior q(z|x) that starts the posterior chains (<see cref="Model.Encoder"/>), or null when they
    /// start from N(0, sigma0² I).
    /// </summary>
    public Encoder? Encoder { get; init; }

    /// <summary>Latent dimension nz.</summary>
    public int Nz { get; }

    /// <summary>Generator noise standard deviation sigma.</summary>
    public double Sigma { get; }

    /// <summary>Reference prior standard deviation sigma0.</summary>
    public double Sigma0 { get; }

    /// <summary>
    /// How the chains' gradients are computed: <see cref="InputGradientMethod.Autograd"/> (the default:
    /// an autograd graph per step, the fastest in float32 for these small MLPs on CPU, measured in
    /// docs/benchmarks.md) or <see cref="InputGradientMethod.Analytic"/> (one forward pass and a
    /// hand-written input VJP, for networks that implement <see cref="IInputGradient"/>). A posterior
    /// chain asked for mixed precision (<see cref="PosteriorTarget"/>) always takes the analytic path.
    /// Both give the same values up to float rounding (tested).
    /// </summary>
    /// <exception cref="NotSupportedException">Set to Analytic for a network without <see cref="IInputGradient"/>.</exception>
    public InputGradientMethod GradientMethod
    {
        get => method;
        set
        {
            if (value == InputGradientMethod.Analytic && Prior is not IInputGradient)
                throw new NotSupportedException($"{Prior.GetType().Name} has no analytic input gradient");
            method = value;
        }
    }

    private InputGradientMethod method = InputGradientMethod.Autograd;

    /// <summary>
    /// ∇_z log p_alpha(z) = ∇_z f_alpha(z) - z / sigma0^2 (PAPER.md: log p(z) = f(z) - |z|^2/(2 sigma0^2) + const).
    /// No autograd graph survives the call; parameter gradients are untouched.
    /// </summary>
    /// <param name="z">Latents <c>[B, nz]</c>.</param>
    /// <returns>The gradient <c>[B, nz]</c>, detached.</returns>
    public Tensor GradLogPrior(Tensor z)
    {
        using var target = PriorTarget();
        return target.Gradient(z);
    }

    /// <summary>
    /// ∇_z log p(z|x) = ∇_z [ -|x - g_theta(z)|^2 / (2 sigma^2) + f_alpha(z) ] - z / sigma0^2
    /// (PAPER.md, "Model"). No autograd graph survives the call; parameter gradients are untouched.
    /// </summary>
    /// <param name="x">Images <c>[B, C, H, W]</c> on the generator's scale.</param>
    /// <param name="z">Latents <c>[B, nz]</c>.</param>
    /// <param name="generatorMatmulType">See <see cref="PosteriorTarget"/>.</param>
    /// <returns>The gradient <c>[B, nz]</c>, detached.</returns>
    public Tensor GradLogPosterior(Tensor x, Tensor z, ScalarType? generatorMatmulType = null)
    {
        using var target = PosteriorTarget(x, generatorMatmulType);
        return target.Gradient(z);
    }

    /// <summary>
    /// ∇_z log p_alpha(z) for a whole chain (see <see cref="GradLogPrior"/>): the weights are prepared
    /// once; dispose the target after the chain.
    /// </summary>
    public LangevinTarget PriorTarget()
    {
        if (GradientMethod == InputGradientMethod.Autograd)
            return new LangevinTarget(z => AutogradGradient(z, zz => Prior.forward(zz).sum()));
        var prior = ((IInputGradient)Prior).LayersFor(ParameterType(Prior));
        return new LangevinTarget(z =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return GradF(prior, z).add_(z, -1 / (Sigma0 * Sigma0)).MoveToOuterDisposeScope();
        }, prior);
    }

    /// <summary>
    /// ∇_z log p(z|x) for a whole chain on images <paramref name="x"/> <c>[B, C, H, W]</c> (see
    /// <see cref="GradLogPosterior"/>): the weights are prepared once; dispose the target after the chain.
    /// </summary>
    /// <param name="x">Images <c>[B, C, H, W]</c>.</param>
    /// <param name="generatorMatmulType">Type of the generator's layers in the gradient: null for the
    /// parameters' own type (exact), or <c>bfloat16</c> (mixed precision: products and biases in
    /// bfloat16, so the output pre-activation is bfloat16-rounded; tanh, the residual x - g(z) and the
    /// result in the parameters' type). The prior always runs in the parameters' type.</param>
    /// <exception cref="NotSupportedException">Mixed precision for networks without <see cref="IInputGradient"/>.</exception>
    public LangevinTarget PosteriorTarget(Tensor x, ScalarType? generatorMatmulType = null)
    {
        bool mixed = generatorMatmulType is ScalarType type && type != ParameterType(Generator);
        if ((GradientMethod == InputGradientMethod.Autograd && !mixed) || Generator is not IInputGradient generatorVjp || Prior is not IInputGradient)
        {
            if (mixed) throw new NotSupportedException($"mixed-precision posterior chains need networks with {nameof(IInputGradient)}");
            return new LangevinTarget(z => AutogradGradient(z, zz =>
                Prior.forward(zz).sum() - (x - Generator.forward(zz)).square().sum() / (2 * Sigma * Sigma)));
        }
        var prior = ((IInputGradient)Prior).LayersFor(ParameterType(Prior));
        var generator = generatorVjp.LayersFor(generatorMatmulType ?? ParameterType(Generator));
        var rows = x.reshape(x.shape[0], -1); // as the generator's flattened output, once per chain
        return new LangevinTarget(z =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            // ∇_z of -|x - g(z)|^2 / (2 sigma^2) is J_g^T (x - g(z)) / sigma^2.
            var tape = generator.Forward(z);
            var upstream = rows.sub(tape.Output).mul_(1 / (Sigma * Sigma));
            return tape.Backward(upstream).add_(GradF(prior, z)).add_(z, -1 / (Sigma0 * Sigma0)).MoveToOuterDisposeScope();
        }, prior, generator, rows);
    }

    /// <summary>∇_z of <paramref name="logDensity"/> (without the reference term) by autograd, minus z / sigma0^2.</summary>
    private Tensor AutogradGradient(Tensor z, Func<Tensor, Tensor> logDensity)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var zz = z.detach().requires_grad_(true);
        var d = autograd.grad([logDensity(zz)], [zz])[0];
        return (d - zz.detach() / (Sigma0 * Sigma0)).detach().MoveToOuterDisposeScope();
    }

    /// <summary>∇_z f_alpha(z) <c>[B, nz]</c> by the prior's analytic input VJP with upstream 1.</summary>
    private static Tensor GradF(MlpLayers prior, Tensor z)
    {
        if (InputVjpTape.SupportsGradientOfSum(prior)) return InputVjpTape.GradientOfSum(prior, z);
        var tape = prior.Forward(z);
        return tape.Backward(ones_like(tape.Output));
    }

    private static ScalarType ParameterType(nn.Module module) => module.parameters().First().dtype;
}
