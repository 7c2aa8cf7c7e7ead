namespace LatentEbm.Server.Hosting;

/// <summary>
/// The service's budget of request body bytes in flight (<see cref="ServerOptions.MaxRequestBytesInFlight"/>): a request
/// with a body reserves its <c>Content-Length</c> (a body of unknown length, chunked, reserves the bytes as they are read)
/// from when its handling starts until its answer is written (<see cref="RequestBodyBudgetMiddleware"/>). A request the
/// budget cannot hold is answered with 503 and <c>Retry-After</c>, so that memory is bounded by design rather than by what
/// clients happen to send.
/// </summary>
/// <param name="capacity">Bytes, positive.</param>
/// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is not positive.</exception>
public sealed class RequestBodyBudget(long capacity) : Budget(capacity);
