namespace LatentEbm.Training.Training;

/// <summary>
/// Training met a NaN or infinity: the message names the quantity (a loss, a mean energy, a chain
/// state), the epoch and the iteration. The epoch in progress is abandoned; the last checkpoint,
/// written at the end of the previous epoch, is left as it was.
/// </summary>
public sealed class NonFiniteValueException(string quantity, int epoch, long iteration)
    : ArithmeticException($"non-finite {quantity} at epoch {epoch}, iteration {iteration}; training stopped; the checkpoints written so far are intact")
{
    /// <summary>The quantity that was not finite.</summary>
    public string Quantity { get; } = quantity;

    /// <summary>1-based epoch.</summary>
    public int Epoch { get; } = epoch;

    /// <summary>1-based global iteration.</summary>
    public long Iteration { get; } = iteration;
}
