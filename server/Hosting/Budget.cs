namespace LatentEbm.Server.Hosting;

/// <summary>
/// A count of units (bytes, rows) that work reserves while it runs and gives back after, never more than
/// <see cref="Capacity"/> at once: a reservation the budget cannot hold is refused at once, never waited for. Thread-safe.
/// </summary>
public class Budget
{
    private long inFlight;

    /// <summary>Creates an empty budget of <paramref name="capacity"/> units.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not positive.</exception>
    public Budget(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    /// <summary>The most units reserved at once.</summary>
    public long Capacity { get; }

    /// <summary>Units reserved now.</summary>
    public long InFlight => Interlocked.Read(ref inFlight);

    /// <summary>Reserves <paramref name="units"/> if the budget holds them beside those reserved.</summary>
    /// <returns>Whether they were reserved (then <see cref="Release"/> them).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="units"/> negative.</exception>
    public bool TryReserve(long units)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(units);
        while (true)
        {
            long now = Interlocked.Read(ref inFlight);
            if (now + units > Capacity) return false;
            if (Interlocked.CompareExchange(ref inFlight, now + units, now) == now) return true;
        }
    }

    /// <summary>Gives back units reserved by <see cref="TryReserve"/>.</summary>
    public void Release(long units) => Interlocked.Add(ref inFlight, -units);
}
