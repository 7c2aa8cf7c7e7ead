using Microsoft.Net.Http.Headers;

namespace LatentEbm.Server.Endpoints;

/// <summary>What a request body holds, by its <c>Content-Type</c>.</summary>
public enum BodyKind
{
    /// <summary>No body and no content type: all defaults where the route has them.</summary>
    Empty,

    /// <summary><c>application/json</c> or <c>application/*+json</c>.</summary>
    Json,

    /// <summary>One image file as the whole body: <c>image/png</c> or <c>image/jpeg</c>.</summary>
    Image,

    /// <summary><c>multipart/form-data</c>: image parts and a seed field.</summary>
    Multipart,
}

/// <summary>What an answer is written as, chosen from the request's <c>Accept</c>.</summary>
public enum AnswerKind
{
    /// <summary><c>application/json</c>.</summary>
    Json,

    /// <summary><c>image/png</c>: a grid of the images.</summary>
    Png,
}

/// <summary>
/// <c>Content-Type</c> and <c>Accept</c> of the <c>/v1</c> compute routes. A body is JSON (<c>application/json</c>,
/// <c>application/*+json</c>) or, where the route reads image files, <c>image/png</c>, <c>image/jpeg</c> or
/// <c>multipart/form-data</c>; anything else is a 415 listing the accepted types. The answer is JSON unless the client
/// prefers <c>image/png</c> by quality value (RFC 9110, section 12.5.1) and the route can write one; when no type the route
/// writes is acceptable (q = 0 or not matched), a 406.
/// </summary>
public static class ContentNegotiation
{
    /// <summary>The JSON body type.</summary>
    public const string Json = "application/json";

    /// <summary>The body types of a route that reads JSON only.</summary>
    public static readonly IReadOnlyList<string> JsonOnly = [Json];

    /// <summary>The body types of the image routes (<c>/latents</c>, <c>/reconstructions</c>, <c>/scores</c> of an image model).</summary>
    public static readonly IReadOnlyList<string> JsonOrImages = [Json, "image/png", "image/jpeg", "multipart/form-data"];

    /// <summary>The body's kind.</summary>
    /// <param name="request">The request.</param>
    /// <param name="accepted">The types the route reads for this model: <see cref="JsonOnly"/> or <see cref="JsonOrImages"/>.</param>
    /// <exception cref="UnsupportedMediaTypeException">Any other content type, or a body without one.</exception>
    public static BodyKind Body(HttpRequest request, IReadOnlyList<string> accepted)
    {
        if (string.IsNullOrWhiteSpace(request.ContentType))
        {
            bool empty = request.ContentLength == 0 || request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>()?.CanHaveBody == false;
            return empty ? BodyKind.Empty : throw Unsupported("the body has no Content-Type", accepted);
        }
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var media) || media.MediaType.Value is not { } parsed)
            throw Unsupported($"the body's Content-Type '{request.ContentType}' is not a media type", accepted);
        string type = parsed.ToLowerInvariant();
        if (type == Json || type.StartsWith("application/", StringComparison.Ordinal) && type.EndsWith("+json", StringComparison.Ordinal))
            return BodyKind.Json;
        if (accepted.Count > 1)
        {
            if (type is "image/png" or "image/jpeg") return BodyKind.Image;
            if (type == "multipart/form-data") return BodyKind.Multipart;
        }
        throw Unsupported($"the body's content type is {request.ContentType}", accepted);
    }

    private static UnsupportedMediaTypeException Unsupported(string what, IReadOnlyList<string> accepted) =>
        new("Content-Type", $"{what}; this endpoint takes {string.Join(", ", accepted)}", accepted);

    /// <summary>
    /// The answer's kind: the type with the highest quality value among those the route can write (JSON, and PNG when
    /// <paramref name="png"/>), each type's quality being that of the most specific matching range of <c>Accept</c>
    /// (<c>image/png</c> over <c>image/*</c> over <c>*/*</c>); JSON on a tie or without an <c>Accept</c> header.
    /// </summary>
    /// <exception cref="NotAcceptableException">Neither type is acceptable.</exception>
    public static AnswerKind Answer(HttpRequest request, bool png)
    {
        var accept = request.Headers.Accept;
        if (accept.Count == 0 || accept.All(string.IsNullOrWhiteSpace)) return AnswerKind.Json;
        if (!MediaTypeHeaderValue.TryParseList(accept, out var ranges) || ranges.Count == 0)
            throw new NotAcceptableException($"the Accept header '{accept}' is not a list of media ranges", Produces(png));
        double json = Quality(ranges, "application", "json");
        double image = png ? Quality(ranges, "image", "png") : 0;
        if (json <= 0 && image <= 0)
            throw new NotAcceptableException($"Accept: {accept} admits none of the types this endpoint writes: {string.Join(", ", Produces(png))}", Produces(png));
        return image > json ? AnswerKind.Png : AnswerKind.Json;
    }

    private static string[] Produces(bool png) => png ? [Json, "image/png"] : [Json];

    /// <summary>The quality value of type/subtype under <paramref name="ranges"/>: the most specific match's, 0 when none matches.</summary>
    private static double Quality(IList<MediaTypeHeaderValue> ranges, string type, string subtype)
    {
        int best = -1;
        double quality = 0;
        foreach (var range in ranges)
        {
            string rangeType = range.Type.Value ?? "", rangeSubtype = range.SubType.Value ?? "";
            int specificity = rangeType == "*" && rangeSubtype == "*" ? 0
                : rangeType.Equals(type, StringComparison.OrdinalIgnoreCase) && rangeSubtype == "*" ? 1
                : rangeType.Equals(type, StringComparison.OrdinalIgnoreCase) && rangeSubtype.Equals(subtype, StringComparison.OrdinalIgnoreCase) ? 2
                : -1;
            if (specificity > best)
            {
                best = specificity;
                quality = range.Quality ?? 1;
            }
        }
        return quality;
    }
}
