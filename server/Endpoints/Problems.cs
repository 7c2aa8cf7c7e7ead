namespace LatentEbm.Server.Endpoints;

/// <summary>RFC 7807 problem+json responses used by every endpoint.</summary>
public static class Problems
{
    /// <summary>400 naming the field.</summary>
    public static IResult Invalid(string field, string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "invalid request", extensions: new Dictionary<string, object?> { ["field"] = field });

    /// <summary>
    /// 400 for a sentence the text model cannot read (<see cref="Inference.Text.TextInputException"/>): the field
    /// <c>sentences[i]</c>, the problem, the sentence's index and word count and the model's limit.
    /// </summary>
    public static IResult InvalidSentence(Inference.Text.TextInputException e) =>
        Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest, title: "invalid request", extensions: new Dictionary<string, object?>
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
    public static IResult UnknownModel(string id) =>
        Results.Problem($"no model '{id}'; GET /v1/models lists them", statusCode: StatusCodes.Status404NotFound, title: "unknown model",
            extensions: new Dictionary<string, object?> { ["field"] = "id" });

    /// <summary>415 naming what carries the type (<c>Content-Type</c> or a part) and listing the accepted types.</summary>
    public static IResult UnsupportedMediaType(string field, string detail, IReadOnlyList<string> accepted) =>
        Results.Problem(detail, statusCode: StatusCodes.Status415UnsupportedMediaType, title: "unsupported media type",
            extensions: new Dictionary<string, object?> { ["field"] = field, ["accepted"] = accepted });

    /// <summary>503 for a request whose rows the model's budget of queued rows cannot hold now (the caller sets Retry-After).</summary>
    public static IResult Busy(Batching.ModelBusyException e) =>
        Results.Problem(e.Message, statusCode: StatusCodes.Status503ServiceUnavailable, title: "model busy",
            extensions: new Dictionary<string, object?> { ["limit"] = e.Limit, ["rows"] = e.Rows });

    /// <summary>413 for a body over the limit.</summary>
    public static IResult TooLarge(long limit) =>
        Results.Problem($"the request body is larger than {limit} bytes", statusCode: StatusCodes.Status413PayloadTooLarge, title: "request too large");
}
