namespace LatentEbm.Server.Endpoints;

/// <summary>A body, or a part of one, has a content type the endpoint does not read (a 415 listing <see cref="Accepted"/>).</summary>
public sealed class UnsupportedMediaTypeException(string field, string detail, IReadOnlyList<string> accepted) : Exception(detail)
{
    /// <summary>What carries the type: <c>Content-Type</c>, or a part such as <c>images[2]</c>.</summary>
    public string Field { get; } = field;

    /// <summary>The content types that would have been read.</summary>
    public IReadOnlyList<string> Accepted { get; } = accepted;
}
