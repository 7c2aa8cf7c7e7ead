namespace LatentEbm.Training.Text.Evaluation;

/// <summary>
/// An estimate of log Z(alpha) = log E_{z ~ N(0, sigma0² I)}[exp f_alpha(z)] (PAPER.md, "Text model", metrics: Z(alpha)
/// estimated from samples of the reference prior).
/// </summary>
/// <param name="Value">log mean_j exp f(z_j), by log-sum-exp in float64; exactly 0 for the Gaussian prior (f = 0).</param>
/// <param name="StandardError">Delta-method standard error of <see cref="Value"/>: sd_j(exp f(z_j)) / (sqrt(M) mean_j exp f(z_j)); 0 for the Gaussian prior.</param>
/// <param name="Samples">M, the samples drawn (0 for the Gaussian prior, where nothing is estimated).</param>
public sealed record LogPartitionEstimate(double Value, double StandardError, int Samples);
