namespace LatentEbm.Training.Text.Evaluation;

/// <summary>The importance-sampled NLL of a set of sentences under the text latent EBM, with the settings that made it.</summary>
/// <param name="Nll">-log p(x) of each sentence (nats) and its scored tokens (words and <c>&lt;/s&gt;</c>).</param>
/// <param name="Settings">Samples N, tau, M, the posterior chain's schedule and noise, batch size and seed.</param>
/// <param name="Proposal">The proposal as reports name it, e.g. "N(mu, 0.3^2 I), mu = end of a posterior Langevin chain (20 steps, noise on)".</param>
/// <param name="LogPartition">The log Z(alpha) estimate used for every sentence.</param>
/// <param name="GaussianPrior">True when the model's f is identically 0 (its output layer is zero): p_alpha = N(0, sigma0² I), log Z = 0 exactly.</param>
/// <param name="MeanEffectiveSampleFraction">Mean over sentences of (Σ_i w_i)² / (N Σ_i w_i²), in (0, 1]: near 1 when q fits the posterior, near 1/N when one draw dominates.</param>
public sealed record ImportanceSampledNllResult(SentenceNll Nll, ImportanceSamplingSettings Settings, string Proposal, LogPartitionEstimate LogPartition,
    bool GaussianPrior, double MeanEffectiveSampleFraction)
{
    /// <summary>Σ NLL / Σ tokens, nats per token (<c>&lt;/s&gt;</c> included).</summary>
    public double PerWordNll => Nll.PerToken;

    /// <summary>exp(Σ NLL / Σ tokens).</summary>
    public double Perplexity => Nll.Perplexity;
}
