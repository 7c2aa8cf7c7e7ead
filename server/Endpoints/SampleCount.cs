using LatentEbm.Server.Endpoints.Contracts;
using LatentEbm.Server.Endpoints.Json;
using LatentEbm.Server.Hosting;

namespace LatentEbm.Server.Endpoints;

/// <summary>How many samples a <c>/samples</c> request asks for, image and text models alike.</summary>
public static class SampleCount
{
    /// <summary>The number of samples when the body gives none.</summary>
    public const int Default = 16;

    /// <summary>The body's <c>count</c>, or <see cref="Default"/>.</summary>
    /// <exception cref="RequestValidationException">(field <c>count</c>) Outside 1..<see cref="ServerOptions.MaxSamples"/>.</exception>
    public static int Of(SamplesRequest body, ServerOptions options, RequestJson json)
    {
        int count = body.Count ?? Default;
        if (count < 1 || count > options.MaxSamples)
            throw new RequestValidationException("count", $"count must be {json.Expectation("count")}, got {count}");
        return count;
    }
}
