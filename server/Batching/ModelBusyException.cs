using LatentEbm.Server.Hosting;

namespace LatentEbm.Server.Batching;

/// <summary>
/// A request whose rows (images, samples, sentences) the model's budget of queued rows
/// (<see cref="ServerOptions.MaxQueuedRowsPerModel"/>) cannot hold now: answered with 503 and <c>Retry-After</c>.
/// </summary>
public sealed class ModelBusyException(string model, int rows, Budget budget)
    : Exception($"model {model} has {budget.InFlight} of its {budget.Capacity} rows queued or running and cannot take {rows} more now; retry after the Retry-After delay")
{
    /// <summary>The rows of the refused request.</summary>
    public int Rows { get; } = rows;

    /// <summary>The model's budget of queued rows.</summary>
    public long Limit { get; } = budget.Capacity;
}
