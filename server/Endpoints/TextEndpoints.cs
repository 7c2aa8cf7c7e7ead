using LatentEbm.Inference.Text;
using LatentEbm.Server.Hosting;

namespace LatentEbm.Server.Endpoints;

/// <summary>
/// The <c>/v1/models/{id}</c> routes of a text model (PAPER.md, "Text model"): <c>/samples</c> (sentences from the latent
/// EBM prior), <c>/latents</c> (posterior latents of given sentences) and <c>/scores</c> (the negative log joint at the
/// inferred latent, higher = more anomalous). JSON bodies only; each calls <see cref="TextLatentEbmInference"/> directly
/// (thread-safe; not micro-batched), with row j of a request on Philox stream j of its seed, so an answer equals the
/// library's with the same seed. Unknown words read as &lt;unk&gt; and are reported; a sentence the model cannot read is a
/// 400 naming its index, its length and the limit (<see cref="Problems.InvalidSentence"/>).
/// </summary>
public static class TextEndpoints
{
    /// <summary>The fields of <c>/samples</c> for a text model.</summary>
    public static readonly string[] SampleFields = ["count", "seed", "temperature"];

    /// <summary>The fields of <c>/latents</c> and <c>/scores</c> for a text model.</summary>
    public static readonly string[] SentenceFields = ["sentences", "seed"];

    /// <summary>The sampling temperature when the body gives none: the decoder's own distribution.</summary>
    public const double DefaultTemperature = 1;

    /// <summary>
    /// <c>POST /samples</c> <c>{count, seed, temperature}</c> → <c>{seed, temperature, sentences: [{text, words, latent, ended}]}</c>.
    /// count 1..<see cref="ServerOptions.MaxSamples"/> (default 16), temperature in [0, <see cref="TextLatentEbmInference.MaxTemperature"/>]
    /// (0 = greedy decoding; default <see cref="DefaultTemperature"/>), seed any int (default 0).
    /// </summary>
    public static async Task<IResult> Samples(string id, TextLatentEbmInference model, HttpContext http, ServerOptions options, CancellationToken ct)
    {
        NoStart(http.Request, id);
        var body = await ReadJson(http.Request, id, ct);
        RequestReader.OfKind(body, id, text: true, SampleFields);
        int count = RequestReader.Int(body, "count", 16, 1, options.MaxSamples);
        int seed = RequestReader.Int(body, "seed", 0, int.MinValue, int.MaxValue);
        double temperature = RequestReader.Number(body, "temperature", DefaultTemperature, 0, TextLatentEbmInference.MaxTemperature);
        var samples = await Task.Run(() => model.Sample(count, seed, temperature), ct);
        Metrics(http).Batch("text_prior", model.Manifest.Model.PriorSteps, count);
        if (!samples.All(s => s.Latent.All(float.IsFinite))) return NonFinite();
        return Results.Ok(new
        {
            seed,
            temperature,
            sentences = samples.Select(s => new { text = s.Text, words = s.Words, latent = s.Latent, ended = s.Ended }),
        });
    }

    /// <summary>
    /// <c>POST /latents</c> <c>{sentences, seed}</c> → <c>{seed, latents [n][nz], sentences: [{tokens, unknown_words}]}</c>: each
    /// sentence's words as the model read them (a word outside the vocabulary as &lt;unk&gt;) and how many were unknown.
    /// </summary>
    public static async Task<IResult> Latents(string id, TextLatentEbmInference model, HttpContext http, ServerOptions options, CancellationToken ct)
    {
        var (sentences, seed, read) = await ReadSentences(id, model, http, options, ct);
        var latents = await Task.Run(() => model.InferLatents(sentences, seed), ct);
        Metrics(http).Batch("text_posterior", model.Manifest.Model.PosteriorSteps, sentences.Length);
        if (!latents.All(float.IsFinite)) return NonFinite();
        int nz = model.Nz;
        return Results.Ok(new
        {
            seed,
            latents = Enumerable.Range(0, sentences.Length).Select(i => latents.AsSpan(i * nz, nz).ToArray()),
            sentences = read,
        });
    }

    /// <summary>
    /// <c>POST /scores</c> <c>{sentences, seed}</c> → <c>{seed, scores [n], sentences: [{tokens, unknown_words}]}</c>: the negative
    /// log joint in nats at each sentence's posterior latent (<see cref="TextLatentEbmInference.Score"/>), higher = more anomalous.
    /// </summary>
    public static async Task<IResult> Scores(string id, TextLatentEbmInference model, HttpContext http, ServerOptions options, CancellationToken ct)
    {
        var (sentences, seed, read) = await ReadSentences(id, model, http, options, ct);
        var scores = await Task.Run(() => model.Score(sentences, seed), ct);
        Metrics(http).Batch("text_posterior", model.Manifest.Model.PosteriorSteps, sentences.Length);
        if (!scores.All(float.IsFinite)) return NonFinite();
        return Results.Ok(new { seed, scores, sentences = read });
    }

    /// <summary>A sentence as read: its tokens (unknown words as &lt;unk&gt;) and the count of unknown words.</summary>
    public sealed record SentenceRead(string[] Tokens, int UnknownWords);

    private static async Task<(string[] Sentences, int Seed, SentenceRead[] Read)> ReadSentences(
        string id, TextLatentEbmInference model, HttpContext http, ServerOptions options, CancellationToken ct)
    {
        NoStart(http.Request, id);
        var body = await ReadJson(http.Request, id, ct);
        RequestReader.OfKind(body, id, text: true, SentenceFields);
        string[] sentences = RequestReader.Sentences(body, "sentences", options.MaxSentences);
        int seed = RequestReader.Int(body, "seed", 0, int.MinValue, int.MaxValue);
        // Tokenized here first so that a sentence the model cannot read is refused before any graph runs (TextInputException: 400).
        var read = model.Tokenize(sentences).Select(s => new SentenceRead([.. s.Ids.Select(i => model.Vocabulary[i])], s.UnknownWords)).ToArray();
        return (sentences, seed, read);
    }

    /// <summary>The JSON body; image files (PNG, JPEG, multipart) sent to a text model are a 400 naming the model's kind.</summary>
    private static Task<System.Text.Json.JsonElement> ReadJson(HttpRequest request, string id, CancellationToken ct)
    {
        if (ImageBodyReader.HoldsImages(request))
            throw new RequestValidationException("Content-Type", $"model {id} is a text model: send a JSON body, not image files");
        return RequestReader.ReadObject(request, ct);
    }

    /// <summary>The <c>start</c> query parameter is for image models' posterior chains; a text model's chain starts from noise.</summary>
    private static void NoStart(HttpRequest request, string id)
    {
        if (request.Query.ContainsKey("start"))
            throw new RequestValidationException("start", $"model {id} is a text model: its posterior chain starts from noise (z0 ~ N(0, sigma0² I)); leave start out");
    }

    private static ServiceMetrics Metrics(HttpContext http) => http.RequestServices.GetRequiredService<ServiceMetrics>();

    private static IResult NonFinite() =>
        Results.Problem("the model produced a non-finite value for this input", statusCode: StatusCodes.Status500InternalServerError, title: "non-finite model output");
}
