using System.ComponentModel;

namespace LatentEbm.Server.Endpoints.Contracts;

/// <summary>
/// The JSON body of <c>POST /v1/models/{id}/samples</c>. Image and text models share the route: <see cref="Decode"/> is
/// for image models only, <see cref="Temperature"/> for text models only; the other kind's field is a 400 naming the
/// model's kind. Every field is optional; an empty body (no content type) means all defaults.
/// </summary>
[Description("Body of /samples. Image and text models share the route: decode is for image models only, temperature for text models only (the other kind's field is a 400 naming the model's kind). Every field is optional; an empty body with no Content-Type means all defaults.")]
public sealed record SamplesRequest
{
    /// <summary>Samples to draw, 1..<c>MaxSamples</c> (server option, default 256); default 16.</summary>
    [Description("Samples to draw: 1..MaxSamples (server option, default 256); default 16.")]
    public int? Count { get; init; }

    /// <summary>Seed of the chains (any 32-bit integer); absent: a fresh random seed, returned in the answer.</summary>
    [Description("Seed of the chains, an integer in [-2147483648, 2147483647]; absent: a fresh random non-negative seed. The answer returns the seed used (field seed and header Latent-Ebm-Seed); the same seed gives the same answer.")]
    public int? Seed { get; init; }

    /// <summary>Image models only: decode the latents into images (default true).</summary>
    [Description("Image models only: decode the latents into images g(z) (default true).")]
    public bool? Decode { get; init; }

    /// <summary>Text models only: the sampling temperature in [0, 100]; 0 = greedy decoding; default 1.</summary>
    [Description("Text models only: sampling temperature in [0, 100]; 0 = greedy decoding; default 1 (the decoder's own distribution).")]
    public double? Temperature { get; init; }
}

/// <summary>
/// The JSON body of <c>POST /v1/models/{id}/latents</c> and <c>/scores</c>: <see cref="Images"/> for an image model,
/// <see cref="Sentences"/> for a text model (the other kind's field is a 400 naming the model's kind).
/// </summary>
[Description("Body of /latents and /scores: images for an image model, sentences for a text model (the other kind's field is a 400 naming the model's kind).")]
public sealed record ObservationsRequest
{
    /// <summary>Image models only: 1..<c>MaxImages</c> rows of C*H*W numbers in the manifest's pixel range.</summary>
    [Description("Image models only: 1..MaxImages (server option, default 256) rows, each an image [C, H, W] flattened row-major: C*H*W finite numbers in the manifest's pixel_range (usually [-1, 1]).")]
    public PixelRows? Images { get; init; }

    /// <summary>Text models only: 1..<c>MaxSentences</c> sentences (words separated by white space).</summary>
    [Description("Text models only: 1..MaxSentences (server option, default 256) sentences, words separated by white space; words outside the vocabulary read as <unk>.")]
    public string[]? Sentences { get; init; }

    /// <summary>Seed of the posterior chains; absent: a fresh random seed, returned in the answer.</summary>
    [Description("Seed of the posterior chains, an integer in [-2147483648, 2147483647]; absent: a fresh random non-negative seed, returned in the answer (field seed and header Latent-Ebm-Seed).")]
    public int? Seed { get; init; }
}

/// <summary>The JSON body of <c>POST /v1/models/{id}/reconstructions</c> (image models only).</summary>
[Description("Body of /reconstructions (image models only).")]
public sealed record ReconstructionsRequest
{
    /// <summary>1..<c>MaxImages</c> rows of C*H*W numbers in the manifest's pixel range.</summary>
    [Description("1..MaxImages (server option, default 256) rows, each an image [C, H, W] flattened row-major: C*H*W finite numbers in the manifest's pixel_range (usually [-1, 1]).")]
    public PixelRows? Images { get; init; }

    /// <summary>Seed of the posterior chains; absent: a fresh random seed, returned in the answer.</summary>
    [Description("Seed of the posterior chains, an integer in [-2147483648, 2147483647]; absent: a fresh random non-negative seed, returned in the answer (field seed and header Latent-Ebm-Seed).")]
    public int? Seed { get; init; }
}
