namespace LatentEbm.Server.Hosting;

/// <summary>
/// Holds every request body to the <see cref="RequestBodyBudget"/>. A body with a <c>Content-Length</c> reserves it before a
/// byte is read and is refused at once when the budget cannot hold it; a chunked body reserves as it is read
/// (<see cref="BudgetedBodyStream"/>). Refused: 503 problem+json with <c>Retry-After</c>. A body larger than the body limit
/// passes, to be refused with 413 by its reader.
/// </summary>
public sealed class RequestBodyBudgetMiddleware(RequestDelegate next, RequestBodyBudget budget, ServerOptions options)
{
    /// <summary>Seconds a refused client is told to wait.</summary>
    public const int RetryAfterSeconds = 1;

    /// <summary>Reserves the request's body bytes for its handling, or refuses it.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        long? length = context.Request.ContentLength;
        if (length is 0 || length > options.MaxBodyBytes)
        {
            await next(context);
            return;
        }
        long reserved = 0;
        BudgetedBodyStream? chunked = null;
        try
        {
            if (length is long known)
            {
                if (!budget.TryReserve(known)) throw new RequestBodyOverBudgetException(known, budget);
                reserved = known;
            }
            else
            {
                context.Request.Body = chunked = new BudgetedBodyStream(context.Request.Body, budget);
            }
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
            budget.Release(reserved + (chunked?.Reserved ?? 0));
        }
    }
}
