using System.Globalization;
using System.Security.Cryptography;
using LatentEbm.Server.Endpoints.Json;

namespace LatentEbm.Server.Endpoints;

/// <summary>
/// The seed of a request's chains: the request's own, or, when it gives none, a fresh random one
/// (<see cref="RandomNumberGenerator"/>, in [0, 2^31 - 1)), so that repeated requests without a seed draw different
/// samples. Every answer returns the seed it used, in its JSON (<c>seed</c>) and in the <see cref="Header"/> header, so
/// that any answer can be reproduced by sending its seed back.
/// </summary>
public static class Seeds
{
    /// <summary>The response header that carries the seed used (also on PNG answers).</summary>
    public const string Header = "Latent-Ebm-Seed";

    /// <summary>The request's seed, or a fresh random non-negative one.</summary>
    public static int OrFresh(int? seed) => seed ?? RandomNumberGenerator.GetInt32(int.MaxValue);

    /// <summary>
    /// The seed of a JSON request: its body's <paramref name="bodySeed"/>, or the query's <c>?seed=</c> (so that a request
    /// with no body, e.g. a PNG of samples, can be reproduced too), or a fresh random one.
    /// </summary>
    /// <exception cref="RequestValidationException">(field <c>seed</c>) The query's seed is not an integer in range, is given twice, or both the body and the query give one.</exception>
    public static int Of(HttpRequest request, int? bodySeed)
    {
        int? query = Query(request);
        if (query is not null && bodySeed is not null)
            throw new RequestValidationException("seed", "seed is given both in the query and in the body; give it once");
        return OrFresh(bodySeed ?? query);
    }

    /// <summary>The query's <c>?seed=</c>, or null when absent.</summary>
    /// <exception cref="RequestValidationException">(field <c>seed</c>) Not an integer in range, or given more than once.</exception>
    public static int? Query(HttpRequest request)
    {
        if (!request.Query.TryGetValue("seed", out var values)) return null;
        if (values.Count != 1) throw new RequestValidationException("seed", "seed is given more than once in the query; give it once");
        return Parse(values[0] ?? "");
    }

    /// <summary>A seed given as text (the query's <c>?seed=</c> or a multipart field); null when absent.</summary>
    /// <exception cref="RequestValidationException">(field <c>seed</c>) Not an integer in [-2^31, 2^31 - 1]; the message says the range and quotes the text.</exception>
    public static int? Parse(string? text)
    {
        if (text is null) return null;
        if (!int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out int seed))
            throw new RequestValidationException("seed", $"seed must be {RequestJson.SeedRange}, got {(text.Length <= 40 ? text : text[..37] + "...")}");
        return seed;
    }

    /// <summary>Puts the seed used on the answer's headers.</summary>
    public static void Report(HttpContext http, int seed) => http.Response.Headers[Header] = seed.ToString(CultureInfo.InvariantCulture);
}
