using System.Threading.Channels;

namespace LatentEbm.Server.Batching;

/// <summary>
/// Micro-batching: concurrent requests wait up to <c>wait</c> (or until <c>maxRows</c> rows are
/// gathered) and then run as one batch through <c>run</c>, one batch at a time. Each caller gets its
/// own result; a caller that has gone before its batch starts is dropped from it. With a zero wait
/// every request runs alone, at once.
/// </summary>
public sealed class MicroBatcher<TRequest, TResult> : IAsyncDisposable
{
    private sealed record Item(TRequest Request, int Rows, TaskCompletionSource<TResult> Result, CancellationToken Cancellation);

    private readonly Func<IReadOnlyList<TRequest>, IReadOnlyList<TResult>> run;
    private readonly Func<TRequest, int> rows;
    private readonly int maxRows;
    private readonly TimeSpan wait;
    private readonly Channel<Item> queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task loop;
    private int pending;
    private int pendingRows;

    /// <summary>Starts the batching loop.</summary>
    /// <param name="run">Computes a batch; results in request order.</param>
    /// <param name="rows">Rows (images, samples) of a request.</param>
    /// <param name="maxRows">Most rows in one batch.</param>
    /// <param name="wait">How long the first request of a batch waits for company.</param>
    public MicroBatcher(Func<IReadOnlyList<TRequest>, IReadOnlyList<TResult>> run, Func<TRequest, int> rows, int maxRows, TimeSpan wait)
    {
        this.run = run;
        this.rows = rows;
        this.maxRows = maxRows;
        this.wait = wait;
        loop = wait > TimeSpan.Zero ? Task.Run(Loop) : Task.CompletedTask;
    }

    /// <summary>Requests queued and not yet running (always 0 with a zero wait: each runs at once).</summary>
    public int QueuedRequests => Volatile.Read(ref pending);

    /// <summary>Rows of the requests queued and not yet running.</summary>
    public int QueuedRows => Volatile.Read(ref pendingRows);

    /// <summary>Queues <paramref name="request"/> and completes with its result.</summary>
    public Task<TResult> Submit(TRequest request, CancellationToken cancellation)
    {
        if (wait <= TimeSpan.Zero)
            return Task.Run(() => { cancellation.ThrowIfCancellationRequested(); return run([request])[0]; }, cancellation);
        var item = new Item(request, rows(request), new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously), cancellation);
        Interlocked.Increment(ref pending);
        Interlocked.Add(ref pendingRows, item.Rows);
        if (!queue.Writer.TryWrite(item))
        {
            Interlocked.Decrement(ref pending);
            Interlocked.Add(ref pendingRows, -item.Rows);
            throw new InvalidOperationException("the service is shutting down");
        }
        return item.Result.Task.WaitAsync(cancellation);
    }

    private async Task Loop()
    {
        var reader = queue.Reader;
        Item? carried = null;
        while (carried is not null || await reader.WaitToReadAsync())
        {
            var batch = new List<Item>();
            int total = 0;
            if (carried is not null) { batch.Add(carried); total = carried.Rows; carried = null; }
            else if (reader.TryRead(out var first)) { batch.Add(first); total = first.Rows; }
            var deadline = DateTime.UtcNow + wait;
            // Nobody else queued: run at once rather than make a lone request wait for company.
            while (total < maxRows && Volatile.Read(ref pending) > batch.Count)
            {
                if (reader.TryRead(out var next))
                {
                    if (total + next.Rows > maxRows) { carried = next; break; }
                    batch.Add(next);
                    total += next.Rows;
                    continue;
                }
                var remaining = deadline - DateTime.UtcNow;
                if (remaining <= TimeSpan.Zero) break;
                using var timeout = new CancellationTokenSource(remaining);
                try { await reader.WaitToReadAsync(timeout.Token); }
                catch (OperationCanceledException) { break; }
            }
            Execute(batch);
        }
    }

    private void Execute(List<Item> batch)
    {
        Interlocked.Add(ref pending, -batch.Count);
        Interlocked.Add(ref pendingRows, -batch.Sum(i => i.Rows));
        var live = batch.Where(i => !i.Cancellation.IsCancellationRequested).ToList();
        foreach (var gone in batch.Except(live)) gone.Result.TrySetCanceled(gone.Cancellation);
        if (live.Count == 0) return;
        try
        {
            var results = run([.. live.Select(i => i.Request)]);
            for (int i = 0; i < live.Count; i++) live[i].Result.TrySetResult(results[i]);
        }
        catch (Exception e)
        {
            // One bad request must not fail its neighbours: retry each alone, so the error lands on its owner.
            if (live.Count == 1) { live[0].Result.TrySetException(e); return; }
            foreach (var item in live)
            {
                try { item.Result.TrySetResult(run([item.Request])[0]); }
                catch (Exception single) { item.Result.TrySetException(single); }
            }
        }
    }

    /// <summary>Stops accepting requests and finishes those queued.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await loop;
    }
}
