namespace LatentEbm.Server.Endpoints;

/// <summary>A request field is missing, of the wrong type, out of range or not finite; <see cref="Field"/> names it (JSON path).</summary>
public sealed class RequestValidationException(string field, string detail) : Exception(detail)
{
    /// <summary>The offending field, e.g. <c>images[3]</c>.</summary>
    public string Field { get; } = field;
}
