using Microsoft.AspNetCore.Http.HttpResults;

namespace LatentEbm.Server.Endpoints;

/// <summary>RFC 9457 (formerly 7807) problem+json answers of the <c>/v1</c> routes; each names its <c>field</c> where one is to blame.</summary>
public static class Problems
{
    /// <summary>400 naming the field.</summary>
    public static ProblemHttpResult Invalid(string field, string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "invalid request", extensions: new Dictionary<string, object?> { ["field"] = field });

    /// <summary>
    /// 400 for a sentence the text model cannot read (<see cref="Inference.Text.TextInputException"/>): the field
    /// <c>sentences[i]</c>, the problem, the sentence's index and word count and the model's limit.
    /// </summary>
    public static ProblemHttpResult InvalidSentence(Inference.Text.TextInputException e) =>
        TypedResults.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest, title: "invalid request", extensions: new Dictionary<string, object?>
        {
            ["field"] = $"sentences[{e.Index}]",
            ["problem"] = e.Problem switch
            {
                Inference.Text.TextInputProblem.Empty => "empty",
                Inference.Text.TextInputProblem.TooLong => "too_long",
                _ => "reserved_token",
            },
            ["index"] = e.Index,
            ["words"] = e.Words,
            ["limit"] = e.Limit,
        });

    /// <summary>404 for an unknown model id.</summary>
    public static ProblemHttpResult UnknownModel(string id) =>
        TypedResults.Problem($"no model '{id}'; GET /v1/models lists them", statusCode: StatusCodes.Status404NotFound, title: "unknown model",
            extensions: new Dictionary<string, object?> { ["field"] = "id" });

    /// <summary>406: the request's Accept admits none of <paramref name="available"/>.</summary>
    public static ProblemHttpResult NotAcceptable(string detail, IReadOnlyList<string> available) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status406NotAcceptable, title: "not acceptable",
            extensions: new Dictionary<string, object?> { ["field"] = "Accept", ["available"] = available });

    /// <summary>415 naming what carries the type (<c>Content-Type</c> or a part) and listing the accepted types.</summary>
    public static ProblemHttpResult UnsupportedMediaType(string field, string detail, IReadOnlyList<string> accepted) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status415UnsupportedMediaType, title: "unsupported media type",
            extensions: new Dictionary<string, object?> { ["field"] = field, ["accepted"] = accepted });

    /// <summary>503 for a request whose rows the model's budget of queued rows cannot hold now (the caller sets Retry-After).</summary>
    public static ProblemHttpResult Busy(Batching.ModelBusyException e) =>
        TypedResults.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "model busy",
            extensions: new Dictionary<string, object?> { ["limit"] = e.Limit, ["rows"] = e.Rows });

    /// <summary>413 for a body over the limit.</summary>
    public static ProblemHttpResult TooLarge(long limit) =>
        TypedResults.Problem($"the request body is larger than {limit} bytes", statusCode: StatusCodes.Status413PayloadTooLarge, title: "request too large");

    /// <summary>400 for a request Kestrel could not read (a malformed chunked body, a body shorter than its Content-Length).</summary>
    public static ProblemHttpResult Unreadable(int status, string detail) =>
        TypedResults.Problem($"the request body could not be read: {detail}", statusCode: status, title: "unreadable request", extensions: new Dictionary<string, object?> { ["field"] = "$" });

    /// <summary>500: the model produced NaN or infinity for this input (a model fault, reported instead of a broken JSON writer).</summary>
    public static ProblemHttpResult NonFinite() =>
        TypedResults.Problem("the model produced a non-finite value for this input", statusCode: StatusCodes.Status500InternalServerError, title: "non-finite model output");
}
