using LatentEbm.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Text;

/// <summary>
/// The latent EBM prior over an RNN text generator (PAPER.md, "Text model"): prior
/// p_alpha(z) ∝ exp(f_alpha(z)) N(0, sigma0² I) with the same MLP f as for images, and generator p_theta(x|z) the
/// <see cref="TextDecoder"/>'s categorical likelihood. The chains' gradients come from autograd; the decoder runs in
/// evaluation mode inside them (no dropout), whatever its mode outside, and parameter gradients are untouched.
/// </summary>
public sealed class TextLatentEbm
{
    /// <summary>Pairs a prior and a decoder.</summary>
    /// <param name="prior">f_alpha: <c>[B, nz]</c> -> <c>[B]</c> negative energies (for the Gaussian baseline, an MLP whose output layer is 0).</param>
    /// <param name="decoder">p_theta(x|z).</param>
    /// <param name="sigma0">Reference prior standard deviation (&gt; 0).</param>
    /// <exception cref="ArgumentException">The prior's input size is not the decoder's nz.</exception>
    public TextLatentEbm(PriorEnergyMlp prior, TextDecoder decoder, double sigma0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sigma0);
        if (prior.Widths[0] != decoder.Nz)
            throw new ArgumentException($"the prior reads nz = {prior.Widths[0]} but the decoder's nz is {decoder.Nz}");
        Prior = prior;
        Decoder = decoder;
        Sigma0 = sigma0;
    }

    /// <summary>f_alpha, the negative energy.</summary>
    public PriorEnergyMlp Prior { get; }

    /// <summary>p_theta(x|z).</summary>
    public TextDecoder Decoder { get; }

    /// <summary>sigma0.</summary>
    public double Sigma0 { get; }

    /// <summary>Latent size nz.</summary>
    public int Nz => Decoder.Nz;

    /// <summary>
    /// log p(x, z) up to log Z(alpha): log p_theta(x|z) + f_alpha(z) - |z|² / (2 sigma0²) (PAPER.md, "Model"; the
    /// normal's constant -nz/2 log(2 pi sigma0²) left out), with the decoder in its current mode.
    /// </summary>
    /// <param name="z">Latents <c>[B, nz]</c>.</param>
    /// <param name="tokens">Sentences <c>[B, T + 1]</c> (<see cref="SentenceBatch.Tokens"/>).</param>
    /// <returns><c>[B]</c>, in nats.</returns>
    public Tensor UnnormalisedLogJoint(Tensor z, Tensor tokens)
    {
        using var scope = NewDisposeScope();
        return (Decoder.LogLikelihood(z, tokens) + Prior.forward(z) - z.square().sum(1) / (2 * Sigma0 * Sigma0)).MoveToOuterDisposeScope();
    }

    /// <summary>∇_z log p_alpha(z) = ∇_z f_alpha(z) - z / sigma0² <c>[B, nz]</c>, detached.</summary>
    public Tensor GradLogPrior(Tensor z) => Gradient(z, zz => Prior.forward(zz).sum());

    /// <summary>
    /// ∇_z log p(z|x) = ∇_z [log p_theta(x|z) + f_alpha(z)] - z / sigma0² <c>[B, nz]</c>, detached: the posterior
    /// chain's drift (PAPER.md, "Text model": the likelihood's upstream term is one-hot(x) - softmax).
    /// </summary>
    /// <param name="z">Latents <c>[B, nz]</c>.</param>
    /// <param name="tokens">Sentences <c>[B, T + 1]</c>.</param>
    public Tensor GradLogPosterior(Tensor z, Tensor tokens)
    {
        bool training = Decoder.training;
        Decoder.eval();
        try
        {
            return Gradient(z, zz => (Decoder.LogLikelihood(zz, tokens) + Prior.forward(zz)).sum());
        }
        finally
        {
            Decoder.train(training);
        }
    }

    /// <summary>∇_z log p_theta(x|z) <c>[B, nz]</c> alone, detached, decoder in evaluation mode.</summary>
    public Tensor GradLogLikelihood(Tensor z, Tensor tokens)
    {
        bool training = Decoder.training;
        Decoder.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            var zz = z.detach().requires_grad_(true);
            return autograd.grad([Decoder.LogLikelihood(zz, tokens).sum()], [zz])[0].detach().MoveToOuterDisposeScope();
        }
        finally
        {
            Decoder.train(training);
        }
    }

    private Tensor Gradient(Tensor z, Func<Tensor, Tensor> logDensity)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var zz = z.detach().requires_grad_(true);
        var d = autograd.grad([logDensity(zz)], [zz])[0];
        return (d - zz.detach() / (Sigma0 * Sigma0)).detach().MoveToOuterDisposeScope();
    }
}
