namespace LatentEbm.Server.Hosting;

/// <summary>
/// A request body read against the <see cref="RequestBodyBudget"/>: each read reserves the bytes
/// it returns, and a read the budget cannot hold throws <see cref="RequestBodyOverBudgetException"/> (answered with 503 by
/// <see cref="RequestBodyBudgetMiddleware"/>). <see cref="Reserved"/> is released by the middleware when the request ends.
/// </summary>
public sealed class BudgetedBodyStream(Stream inner, RequestBodyBudget budget) : Stream
{
    /// <summary>Bytes reserved so far (the bytes read).</summary>
    public long Reserved { get; private set; }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Take(await inner.ReadAsync(buffer, cancellationToken));

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Take(inner.Read(buffer, offset, count));

    private int Take(int read)
    {
        if (read > 0)
        {
            if (!budget.TryReserve(read)) throw new RequestBodyOverBudgetException(Reserved + read, budget);
            Reserved += read;
        }
        return read;
    }

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override void Flush() { }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A request body that the <see cref="RequestBodyBudget"/> cannot hold now (503 with Retry-After).</summary>
public sealed class RequestBodyOverBudgetException(long bodyBytes, RequestBodyBudget budget)
    : Exception($"the service holds {budget.InFlight} of its {budget.Capacity} bytes of request bodies in flight and cannot take this body of {bodyBytes} bytes now; retry after the Retry-After delay")
{
    /// <summary>The body's bytes (its Content-Length, or the bytes read so far of a chunked body).</summary>
    public long BodyBytes { get; } = bodyBytes;

    /// <summary>The budget, in bytes.</summary>
    public long Limit { get; } = budget.Capacity;
}
