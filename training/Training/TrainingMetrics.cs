namespace LatentEbm.Training.Training;

/// <summary>What one learning iteration measured (PAPER.md, "Learning").</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Iteration">1-based global iteration.</param>
/// <param name="IterationInEpoch">1-based iteration within the epoch.</param>
/// <param name="IterationsPerEpoch">Iterations in an epoch.</param>
/// <param name="FPosterior">Mean f_alpha over the posterior samples (raised by the prior update).</param>
/// <param name="FPrior">Mean f_alpha over the prior samples (lowered by the prior update).</param>
/// <param name="ReconstructionMse">Mean squared error per pixel of g(z_posterior) against x, on the [-1, 1] scale.</param>
/// <param name="GeneratorLoss">Sum of squared errors / batch size (the official loss).</param>
/// <param name="PriorLoss">mean E(z_posterior) - mean E(z_prior) = FPrior - FPosterior.</param>
/// <param name="EncoderNll">Mean −log q(z_K|x) in nats per image (0 without an encoder).</param>
public sealed record IterationStats(
    int Epoch, long Iteration, int IterationInEpoch, int IterationsPerEpoch,
    double FPosterior, double FPrior, double ReconstructionMse, double GeneratorLoss, double PriorLoss, double EncoderNll = 0);

/// <summary>Averages over one epoch, and where its time went. One row of <c>metrics.csv</c>.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Iterations">Iterations run in the epoch.</param>
/// <param name="FPosterior">Mean f on posterior samples.</param>
/// <param name="FPrior">Mean f on prior samples.</param>
/// <param name="ReconstructionMse">Mean squared error per pixel ([-1, 1] scale).</param>
/// <param name="GeneratorLoss">Mean generator loss.</param>
/// <param name="PriorLoss">Mean prior loss.</param>
/// <param name="PriorLearningRate">Prior learning rate used in the epoch.</param>
/// <param name="GeneratorLearningRate">Generator learning rate used in the epoch.</param>
/// <param name="Seconds">Wall time of the epoch.</param>
/// <param name="PriorChainSeconds">Time in the prior chains.</param>
/// <param name="PosteriorChainSeconds">Time in the posterior chains.</param>
/// <param name="UpdateSeconds">Time in the two parameter updates.</param>
/// <param name="PeakWorkingSetMib">Peak resident memory of the process so far, in MiB (0 where unknown).</param>
/// <param name="EncoderNll">Mean −log q(z_K|x) in nats per image, the encoder's loss (0 without an encoder).</param>
public sealed record EpochMetrics(
    int Epoch, int Iterations, double FPosterior, double FPrior, double ReconstructionMse,
    double GeneratorLoss, double PriorLoss, double PriorLearningRate, double GeneratorLearningRate,
    double Seconds, double PriorChainSeconds, double PosteriorChainSeconds, double UpdateSeconds, double PeakWorkingSetMib = 0, double EncoderNll = 0)
{
    /// <summary>Header of <c>metrics.csv</c>, matching <see cref="ToCsvRow"/>.</summary>
    public const string CsvHeader =
        "epoch,iterations,f_posterior,f_prior,reconstruction_mse,generator_loss,prior_loss,prior_lr,generator_lr,seconds,prior_chain_seconds,posterior_chain_seconds,update_seconds,seconds_per_iteration,peak_working_set_mib,encoder_nll";

    /// <summary>This row as CSV (invariant culture).</summary>
    public string ToCsvRow() => string.Join(",",
        Epoch, Iterations, F(FPosterior), F(FPrior), F(ReconstructionMse), F(GeneratorLoss), F(PriorLoss),
        F(PriorLearningRate), F(GeneratorLearningRate), F(Seconds), F(PriorChainSeconds), F(PosteriorChainSeconds),
        F(UpdateSeconds), F(Seconds / Math.Max(1, Iterations)), F(PeakWorkingSetMib), F(EncoderNll));

    private static string F(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
