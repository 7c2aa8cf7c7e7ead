namespace LatentEbm.Training.Text.Evaluation;

/// <summary>What a report keeps of an <see cref="ImportanceSampledNllResult"/>, with its wall time.</summary>
/// <param name="Nll">NLL per sentence and per token and the perplexity, by importance sampling.</param>
/// <param name="Settings">The sampler's settings as used (samples, tau, chains, log Z samples, posterior step sizes, seed).</param>
/// <param name="Proposal">The proposal q(z|x) in words, from the settings.</param>
/// <param name="LogPartition">The log Z(alpha) estimate and how many reference-prior samples made it (0 for the Gaussian prior: exactly 0).</param>
/// <param name="GaussianPrior">True when f is identically 0, so nothing was estimated for log Z.</param>
/// <param name="MeanEffectiveSampleFraction">Mean over sentences of (Σ w)² / (N Σ w²).</param>
/// <param name="Seconds">Wall time.</param>
public sealed record ImportanceSampledSummary(NllSummary Nll, ImportanceSamplingSettings Settings, string Proposal, LogPartitionEstimate LogPartition,
    bool GaussianPrior, double MeanEffectiveSampleFraction, double Seconds)
{
    /// <summary>The summary of <paramref name="result"/>, which took <paramref name="seconds"/>.</summary>
    public static ImportanceSampledSummary Of(ImportanceSampledNllResult result, double seconds) =>
        new(NllSummary.Of(result.Nll), result.Settings, result.Proposal, result.LogPartition, result.GaussianPrior, result.MeanEffectiveSampleFraction, seconds);
}
