namespace LatentEbm.Training.Text.Evaluation;

/// <summary>
/// Settings of the importance-sampled NLL of the text latent EBM (<see cref="ImportanceSampledNll"/>; PAPER.md, "Text model",
/// metrics). The proposal is a diagonal normal placed by posterior Langevin chains from z ~ N(0, sigma0² I) with
/// <see cref="PosteriorStepSizes"/> (the learning chain's schedule by default): with <see cref="ProposalChains"/> = 1,
/// q(z|x) = N(mu, tau² I), mu the chain's end point; with C ≥ 2 chains, mu is the mean of their end points and the
/// variance in dimension d is spread_d² + tau², spread_d the population standard deviation of the end points.
/// Cost: <see cref="Samples"/> decoder passes per sentence, plus the chains and <see cref="LogPartitionSamples"/> prior passes.
/// </summary>
public sealed record ImportanceSamplingSettings
{
    /// <summary>N: proposal samples per sentence.</summary>
    public int Samples { get; init; } = 500;

    /// <summary>
    /// tau: the proposal's standard deviation in every latent dimension (one chain), or the width added in quadrature to
    /// the chains' spread (C ≥ 2). The estimate of p(x) is unbiased for any tau, but its variance is small only when q
    /// covers the posterior: too narrow a q biases log p(x) low in practice, too wide a q wastes samples.
    /// <see cref="ImportanceSampledNllResult.MeanEffectiveSampleFraction"/> tells how well it fits.
    /// </summary>
    public double ProposalStd { get; init; } = 0.3;

    /// <summary>
    /// C: posterior chains per sentence that place the proposal (1: centre only, width tau; C ≥ 2: centre and widths).
    /// Default 8: one chain's end is a single posterior draw that can land in the tail, and a fixed tau cannot fit
    /// posteriors of different widths; on the nz = 2 test model (posterior standard deviations 0.63 to 1.05) one chain with
    /// tau = 0.3 misses log p(x) by far, and even tau = 1.5, picked knowing the posteriors, erred once by 0.23 nats with
    /// N = 20,000, where 8 or 16 chains with tau = 0.3 stayed within 0.045. Costs C chains per sentence (K1 gradient steps each).
    /// </summary>
    public int ProposalChains { get; init; } = 8;

    /// <summary>M: samples z_j ~ N(0, sigma0² I) of the estimate log Z(alpha) ≈ log mean_j exp f(z_j) (unused for the Gaussian prior).</summary>
    public int LogPartitionSamples { get; init; } = 100_000;

    /// <summary>Step sizes of the posterior chain that places the proposal (PAPER.md, "Text model": 20 steps, 0.8 down to 0.05).</summary>
    public double[] PosteriorStepSizes { get; init; } = new TextTrainingSettings().PosteriorStepSizes();

    /// <summary>Whether the posterior chain adds its Langevin noise (true, as in learning) or ascends the gradient alone.</summary>
    public bool PosteriorNoise { get; init; } = true;

    /// <summary>Sentences per posterior chain batch (the random draws, hence the estimate, depend on it).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Decoder rows (sample × sentence pairs) per forward pass: bounds memory (rows × T × V logits).</summary>
    public int RowsPerForward { get; init; } = 1024;

    /// <summary>Seed of the log Z samples, the chains and the proposal draws.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting out of its range, named.</exception>
    public void Validate()
    {
        if (Samples < 1) throw new ArgumentException($"{nameof(Samples)} must be at least 1, got {Samples}");
        if (!(ProposalStd > 0) || !double.IsFinite(ProposalStd)) throw new ArgumentException($"{nameof(ProposalStd)} must be positive and finite, got {ProposalStd}");
        if (ProposalChains < 1) throw new ArgumentException($"{nameof(ProposalChains)} must be at least 1, got {ProposalChains}");
        if (LogPartitionSamples < 1) throw new ArgumentException($"{nameof(LogPartitionSamples)} must be at least 1, got {LogPartitionSamples}");
        if (PosteriorStepSizes is null || PosteriorStepSizes.Any(s => !(s > 0) || !double.IsFinite(s)))
            throw new ArgumentException($"{nameof(PosteriorStepSizes)} must hold positive finite step sizes");
        if (BatchSize < 1) throw new ArgumentException($"{nameof(BatchSize)} must be at least 1, got {BatchSize}");
        if (RowsPerForward < 1) throw new ArgumentException($"{nameof(RowsPerForward)} must be at least 1, got {RowsPerForward}");
    }
}
