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
}
