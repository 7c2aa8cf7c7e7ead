namespace LatentEbm.Server.Hosting;

/// <summary>
/// Holds every request body to the <see cref="RequestBodyBudget"/>: its bytes are reserved as they are read
/// (<see cref="BudgetedBodyStream"/>), so a client holds only what it has sent, and a slow client that declares a large
/// body holds almost nothing; a body whose <c>Content-Length</c> the budget cannot hold now is refused before a byte of it
/// is read. Refused: 503 problem+json with <c>Retry-After</c>. A body larger than the body limit passes, to be refused
/// with 413 by its reader.
/// </summary>
public sealed class RequestBodyBudgetMiddleware(RequestDelegate next, RequestBodyBudget budget, ServerOptions options)
{
    /// <summary>Seconds a refused client is told to wait.</summary>
    public const int RetryAfterSeconds = 1;

    /// <summary>Reads the request's body against the budget, or refuses it.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        long? length = context.Request.ContentLength;
        if (length is 0 || length > options.MaxBodyBytes)
        {
            await next(context);
            return;
        }
        var body = new BudgetedBodyStream(context.Request.Body, budget);
        try
        {
            if (length is long known && known > budget.Capacity - budget.InFlight) throw new RequestBodyOverBudgetException(known, budget);
            context.Request.Body = body;
            await next(context);
        }
        catch (RequestBodyOverBudgetException e) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Results.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "request bodies in flight over budget",
                extensions: new Dictionary<string, object?> { ["limit"] = e.Limit, ["body_bytes"] = e.BodyBytes }).ExecuteAsync(context);
        }
        finally
        {
            budget.Release(body.Reserved);
        }
    }
}
