namespace LatentEbm.Server.Endpoints;

/// <summary>
/// The query parameters a compute route reads: <c>seed</c> on every one, <c>start</c> on the posterior routes. Any other
/// is refused, as unknown body fields are, so that a typo (<c>?sede=1</c>) cannot silently become a fresh seed.
/// </summary>
public static class QueryParameters
{
    /// <summary>The parameters of <c>/samples</c>.</summary>
    public static readonly string[] Samples = ["seed"];

    /// <summary>The parameters of <c>/latents</c>, <c>/reconstructions</c> and <c>/scores</c>.</summary>
    public static readonly string[] Posterior = ["seed", "start"];

    /// <summary>Refuses a parameter the route does not read.</summary>
    /// <exception cref="RequestValidationException">(field: the parameter) An unknown parameter.</exception>
    public static void Only(HttpRequest request, IReadOnlyList<string> known)
    {
        foreach (var name in request.Query.Keys)
            if (!known.Contains(name, StringComparer.Ordinal))
                throw new RequestValidationException(name, $"unknown query parameter '{name}'; this endpoint takes {string.Join(" and ", known)}");
    }
}
