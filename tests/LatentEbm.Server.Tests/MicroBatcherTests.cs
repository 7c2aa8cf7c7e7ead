using LatentEbm.Server.Batching;

namespace LatentEbm.Server.Tests;

public class MicroBatcherTests
{
    [Fact]
    public async Task ConcurrentRequestsShareBatchesAndEachGetsItsOwnResult()
    {
        var batches = new List<int[]>();
        await using var batcher = new MicroBatcher<int, int>(requests =>
        {
            lock (batches) batches.Add([.. requests]);
            return [.. requests.Select(r => r * r)];
        }, rows: r => 1, maxRows: 4, wait: TimeSpan.FromMilliseconds(200));

        var results = await Task.WhenAll(Enumerable.Range(1, 10).Select(i => batcher.Submit(i, CancellationToken.None)));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => i * i), results);
        Assert.All(batches, b => Assert.InRange(b.Length, 1, 4));
        Assert.True(batches.Count < 10, $"{batches.Count} batches for 10 concurrent requests");
        Assert.Equal(Enumerable.Range(1, 10), batches.SelectMany(b => b).Order());
    }

    [Fact]
    public async Task OneFailingRequestDoesNotFailItsNeighbours()
    {
        await using var batcher = new MicroBatcher<int, int>(requests =>
            requests.Any(r => r == 3) ? throw new ArgumentException("three is bad") : [.. requests.Select(r => -r)],
            rows: r => 1, maxRows: 8, wait: TimeSpan.FromMilliseconds(200));
        var tasks = Enumerable.Range(1, 5).Select(i => batcher.Submit(i, CancellationToken.None)).ToArray();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => tasks[2]);
        Assert.Equal("three is bad", error.Message);
        int[] others = await Task.WhenAll(tasks.Where((_, i) => i != 2));
        Assert.Equal(new[] { -1, -2, -4, -5 }, others);
    }

    [Fact]
    public async Task ACallerThatHasGoneIsCancelledNotComputed()
    {
        int computed = 0;
        await using var batcher = new MicroBatcher<int, int>(requests => { Interlocked.Add(ref computed, requests.Count); return [.. requests]; },
            rows: r => 1, maxRows: 8, wait: TimeSpan.FromMilliseconds(300));
        using var gone = new CancellationTokenSource();
        var keep = batcher.Submit(1, CancellationToken.None);
        var dropped = batcher.Submit(2, gone.Token);
        gone.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dropped);
        Assert.Equal(1, await keep);
        Assert.Equal(1, computed);
    }

    [Fact]
    public async Task WithoutAWaitEveryRequestRunsAlone()
    {
        int calls = 0;
        await using var batcher = new MicroBatcher<int, int>(requests => { Interlocked.Increment(ref calls); return [.. requests]; },
            rows: r => 1, maxRows: 8, wait: TimeSpan.Zero);
        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => batcher.Submit(i, CancellationToken.None)));
        Assert.Equal(6, calls);
    }

    [Fact]
    public async Task QueueDepthCountsTheRequestsAndRowsWaitingBehindARunningBatch()
    {
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var gate = new ManualResetEventSlim();
        await using var batcher = new MicroBatcher<int, int>(requests =>
        {
            running.TrySetResult();
            gate.Wait();
            return [.. requests];
        }, rows: r => r, maxRows: 64, wait: TimeSpan.FromSeconds(1));
        var first = batcher.Submit(2, CancellationToken.None);
        await running.Task; // the batch of the first request is running (and blocked): what comes now waits
        Assert.Equal((0, 0), (batcher.QueuedRequests, batcher.QueuedRows));
        var waiting = new[] { batcher.Submit(3, CancellationToken.None), batcher.Submit(4, CancellationToken.None) };
        Assert.Equal((2, 7), (batcher.QueuedRequests, batcher.QueuedRows));
        gate.Set();
        Assert.Equal(2, await first);
        Assert.Equal(new[] { 3, 4 }, await Task.WhenAll(waiting));
        Assert.Equal((0, 0), (batcher.QueuedRequests, batcher.QueuedRows));
    }
}
