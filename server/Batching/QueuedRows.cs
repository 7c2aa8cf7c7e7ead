using LatentEbm.Server.Hosting;

namespace LatentEbm.Server.Batching;

/// <summary>
/// One model's budget of rows (images, samples, sentences) queued or running (<see cref="ServerOptions.MaxQueuedRowsPerModel"/>):
/// work runs with its rows reserved, and work the budget cannot hold is refused at once with <see cref="ModelBusyException"/>.
/// </summary>
/// <param name="model">The model's id, for messages.</param>
/// <param name="capacity">Rows, positive.</param>
/// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not positive.</exception>
public sealed class QueuedRows(string model, long capacity) : Budget(capacity)
{
    /// <summary>Runs <paramref name="work"/> with <paramref name="rows"/> reserved until it ends.</summary>
    /// <exception cref="ModelBusyException">The budget cannot hold <paramref name="rows"/> more now (nothing ran).</exception>
    public async Task<T> Run<T>(int rows, Func<Task<T>> work)
    {
        if (!TryReserve(rows)) throw new ModelBusyException(model, rows, this);
        try
        {
            return await work();
        }
        finally
        {
            Release(rows);
        }
    }
}
