namespace LatentEbm.Server.Hosting;

/// <summary>
/// The service's budget of request body bytes in flight (<see cref="ServerOptions.MaxRequestBytesInFlight"/>): a request
/// with a body reserves its <c>Content-Length</c> (a body of unknown length, chunked, reserves the body limit
/// <see cref="ServerOptions.MaxBodyBytes"/>) from when its handling starts until its answer is written. A request the
/// budget cannot hold is answered at once with 503 and <c>Retry-After</c>, before a byte of its body is read, so that
/// memory is bounded by design rather than by what clients happen to send. Thread-safe.
/// </summary>
public sealed class RequestBodyBudget(long capacity)
{
    private long inFlight;

    /// <summary>The budget, in bytes.</summary>
    public long Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "the budget must be positive");

    /// <summary>Bytes reserved now.</summary>
    public long InFlight => Interlocked.Read(ref inFlight);

    /// <summary>Reserves <paramref name="bytes"/> if the budget holds them beside those in flight.</summary>
    /// <returns>Whether they were reserved (then <see cref="Release"/> them).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bytes"/> negative.</exception>
    public bool TryReserve(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        while (true)
        {
            long now = Interlocked.Read(ref inFlight);
            if (now + bytes > Capacity) return false;
            if (Interlocked.CompareExchange(ref inFlight, now + bytes, now) == now) return true;
        }
    }

    /// <summary>Returns bytes reserved by <see cref="TryReserve"/>.</summary>
    public void Release(long bytes) => Interlocked.Add(ref inFlight, -bytes);
}
