namespace LatentEbm.Training.Training;

/// <summary>
/// Training diverged: a quantity (a loss, a mean energy, a chain state) was NaN or infinite, or a loss
/// or mean energy left the sane range |value| ≤ <see cref="Bound"/>. The message names the quantity,
/// its value, the epoch and the iteration. The epoch in progress is abandoned; the last checkpoint,
/// written at the end of the previous epoch, is left as it was.
/// </summary>
/// <remarks>
/// Why 1e6: pixels lie in [-1, 1] and the generator ends in tanh, so the reconstruction term of
/// log p(x|z), |x - g(z)|² / (2 sigma²), is at most 4·784 / (2·0.3²) ≈ 1.7e4 for a 28×28 image at the
/// default sigma = 0.3, and the generator loss (the per-image sum of squares) at most 4·784 = 3,136.
/// A mean f beyond 1e6, some 50 times the most the data term can ever weigh, makes the prior alone
/// drive the posterior chain (its Langevin drift, (s²/2)∇f, then dwarfs the sigma0 = 1 scale of z):
/// the model has diverged even though every number is still finite (a learning rate of 1e4 reaches
/// f ≈ 5e28). f is defined up to a constant that the prior loss does not move, so a healthy run
/// never drifts anywhere near the bound.
/// </remarks>
public sealed class TrainingDivergedException : ArithmeticException
{
    /// <summary>The largest |loss| or |mean f| a healthy run can reach (see the remarks); larger is divergence.</summary>
    public const double Bound = 1e6;

    /// <summary>A quantity was NaN or infinite.</summary>
    /// <param name="quantity">What it was (e.g. "posterior chain state z").</param>
    /// <param name="epoch">1-based epoch.</param>
    /// <param name="iteration">1-based global iteration.</param>
    public TrainingDivergedException(string quantity, int epoch, long iteration)
        : base($"non-finite {quantity} at epoch {epoch}, iteration {iteration}; training stopped; the checkpoints written so far are intact")
    {
        (Quantity, Epoch, Iteration) = (quantity, epoch, iteration);
    }

    /// <summary>A finite quantity beyond <see cref="Bound"/>.</summary>
    /// <param name="quantity">What it was (e.g. "mean f on prior samples").</param>
    /// <param name="value">Its value.</param>
    /// <param name="epoch">1-based epoch.</param>
    /// <param name="iteration">1-based global iteration.</param>
    public TrainingDivergedException(string quantity, double value, int epoch, long iteration)
        : base($"{quantity} is {value:G4} at epoch {epoch}, iteration {iteration}, beyond the sane bound ±{Bound:G1}: training diverged (a learning rate too large?); training stopped; the checkpoints written so far are intact")
    {
        (Quantity, Value, Epoch, Iteration) = (quantity, value, epoch, iteration);
    }

    /// <summary>The quantity that diverged.</summary>
    public string Quantity { get; }

    /// <summary>Its value when finite; null for NaN or infinity in a tensor.</summary>
    public double? Value { get; }

    /// <summary>1-based epoch.</summary>
    public int Epoch { get; }

    /// <summary>1-based global iteration.</summary>
    public long Iteration { get; }
}
