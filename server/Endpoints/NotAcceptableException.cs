namespace LatentEbm.Server.Endpoints;

/// <summary>The request's <c>Accept</c> admits none of the types the route writes (a 406 listing <see cref="Available"/>).</summary>
public sealed class NotAcceptableException(string detail, IReadOnlyList<string> available) : Exception(detail)
{
    /// <summary>The types the route would have written.</summary>
    public IReadOnlyList<string> Available { get; } = available;
}
