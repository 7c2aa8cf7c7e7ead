namespace LatentEbm.Server.Hosting;

/// <summary>
/// Writes each <c>/v1</c> answer whole: the handler's output is gathered in memory and sent at once with its
/// <c>Content-Length</c>, rather than streamed while it is serialized. A replica that dies (SIGKILL, a crash) then either
/// sent nothing, so that a reverse proxy can retry the request on another replica (nginx's <c>proxy_next_upstream</c>),
/// or handed the whole answer to the kernel, which still delivers it; it never leaves a proxy holding half an answer
/// that it can neither complete nor retry. Answers are small (at most the row limits' JSON or PNG), so the copy is cheap.
/// </summary>
public sealed class WholeAnswerMiddleware(RequestDelegate next)
{
    /// <summary>Buffers the answer of a <c>/v1</c> request, then sends it with its length.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/v1"))
        {
            await next(context);
            return;
        }
        var socket = context.Response.Body;
        using var answer = new MemoryStream();
        context.Response.Body = answer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = socket;
        }
        if (answer.Length == 0) return; // no body: status code pages may still write a problem document
        context.Response.ContentLength = answer.Length;
        answer.Position = 0;
        await answer.CopyToAsync(socket, context.RequestAborted);
    }
}
