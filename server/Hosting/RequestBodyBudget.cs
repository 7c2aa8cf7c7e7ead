namespace LatentEbm.Server.Hosting;

/// <summary>
/// The service's budget of request body bytes in flight (<see cref="ServerOptions.MaxRequestBytesInFlight"/>): the bytes of
/// a request body are reserved as they are read and given back when its answer is written
/// (<see cref="RequestBodyBudgetMiddleware"/>), so a client holds only what it has sent. A body the budget cannot hold
/// (its <c>Content-Length</c> at once, a chunked one when a read would pass it) is answered with 503 and
/// <c>Retry-After</c>, so that memory is bounded by design rather than by what clients happen to send.
/// </summary>
/// <param name="capacity">Bytes, positive.</param>
/// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not positive.</exception>
public sealed class RequestBodyBudget(long capacity) : Budget(capacity);
