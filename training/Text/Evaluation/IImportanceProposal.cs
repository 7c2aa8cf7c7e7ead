using static TorchSharp.torch;

namespace LatentEbm.Training.Text.Evaluation;

/// <summary>The proposal q(z|x) of <see cref="ImportanceSampledNll"/>: draws around a centre with a width per dimension, and their log-density.</summary>
internal interface IImportanceProposal
{
    /// <summary><paramref name="samples"/> draws per centre: <c>[N, B, nz]</c> in <paramref name="mu"/>'s dtype.</summary>
    /// <param name="mu">Centres <c>[B, nz]</c>.</param>
    /// <param name="std">Standard deviations <c>[B, nz]</c>, positive.</param>
    /// <param name="samples">N.</param>
    /// <param name="rng">The generator of the draws.</param>
    Tensor Sample(Tensor mu, Tensor std, int samples, Generator rng);

    /// <summary>log q(z|x) in nats, float64 <c>[N, B]</c>.</summary>
    /// <param name="z">Draws <c>[N, B, nz]</c>, float64.</param>
    /// <param name="mu">Centres <c>[B, nz]</c>, float64.</param>
    /// <param name="std">Standard deviations <c>[B, nz]</c>, float64.</param>
    Tensor LogDensity(Tensor z, Tensor mu, Tensor std);
}

/// <summary>q = N(mu, diag(s²)): log q(z) = -Σ_d [(z_d - mu_d)² / (2 s_d²) + log s_d] - (nz / 2) log(2 pi).</summary>
internal sealed class DiagonalGaussianProposal : IImportanceProposal
{
    public Tensor Sample(Tensor mu, Tensor std, int samples, Generator rng) =>
        mu.unsqueeze(0) + std.unsqueeze(0) * randn([samples, .. mu.shape], dtype: mu.dtype, device: mu.device, generator: rng);

    public Tensor LogDensity(Tensor z, Tensor mu, Tensor std)
    {
        long nz = z.shape[^1];
        var s = std.unsqueeze(0);
        return -((z - mu.unsqueeze(0)).square() / (2 * s.square()) + s.log()).sum(-1) - 0.5 * nz * Math.Log(2 * Math.PI);
    }
}
