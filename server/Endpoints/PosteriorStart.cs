using LatentEbm.Inference;

namespace LatentEbm.Server.Endpoints;

/// <summary>The <c>start</c> query parameter of <c>/latents</c>, <c>/reconstructions</c> and <c>/scores</c>.</summary>
public static class PosteriorStart
{
    /// <summary>The values the parameter takes.</summary>
    public static readonly IReadOnlyList<string> Values = ["encoder", "noise"];

    /// <summary>
    /// Where an image model's posterior chain starts: <c>encoder</c> (the encoder's mean mu(x), then the bundle's
    /// <c>score.encoder_steps</c> refinement steps; PAPER.md, "Amortised posterior") or <c>noise</c> (z0 ~ N(0, sigma0² I),
    /// then <c>score.steps</c> steps, the paper's chain); absent, the encoder when the model has one, else noise.
    /// </summary>
    /// <exception cref="RequestValidationException">
    /// (field <c>start</c>) Another value, the parameter given twice, or <c>encoder</c> for a model without an encoder.
    /// </exception>
    public static PosteriorStartMode Of(HttpRequest request, string modelId, LatentEbmInference model)
    {
        if (!request.Query.TryGetValue("start", out var values)) return model.ResolveStart(PosteriorStartMode.Auto);
        if (values.Count != 1)
            throw new RequestValidationException("start", "start is given more than once; give it once");
        string value = values[0] ?? "";
        if (!Values.Contains(value, StringComparer.Ordinal))
            throw new RequestValidationException("start", $"start must be {string.Join(" or ", Values)} (or left out: the encoder when the model has one), got '{value}'");
        if (value == "encoder" && !model.HasEncoder)
            throw new RequestValidationException("start", $"model {modelId} has no encoder (its manifest's model.posterior_start is {model.Manifest.Model.PosteriorStart}): its posterior chains start from noise; leave start out or give start=noise");
        return value == "encoder" ? PosteriorStartMode.Encoder : PosteriorStartMode.Noise;
    }

    /// <summary>A text model's chain starts from noise (z0 ~ N(0, sigma0² I)): <c>start</c> is refused.</summary>
    /// <exception cref="RequestValidationException">(field <c>start</c>) The parameter is given.</exception>
    public static void NoneForText(HttpRequest request, string id)
    {
        if (request.Query.ContainsKey("start"))
            throw new RequestValidationException("start", $"model {id} is a text model: its posterior chain starts from noise (z0 ~ N(0, sigma0² I)); leave start out");
    }
}
