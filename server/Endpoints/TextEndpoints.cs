using LatentEbm.Inference.Text;
using LatentEbm.Server.Batching;
using LatentEbm.Server.Endpoints.Contracts;
using LatentEbm.Server.Endpoints.Json;
using LatentEbm.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

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
    /// <c>POST /samples</c> <c>{count, seed, temperature}</c> → <see cref="TextSamples"/>. count 1..<see cref="ServerOptions.MaxSamples"/>
    /// (default 16), temperature in [0, <see cref="TextLatentEbmInference.MaxTemperature"/>] (0 = greedy decoding; default
    /// <see cref="DefaultTemperature"/>), seed any int (default a fresh random one).
    /// </summary>
    public static async Task<SamplesResult> Samples(string id, TextLatentEbmInference model, HttpContext http, RequestJson json, ServerOptions options, CancellationToken ct)
    {
        PosteriorStart.NoneForText(http.Request, id);
        var body = await ReadJson<SamplesRequest>(http.Request, id, json, SampleFields, defaults: new SamplesRequest(), ct);
        if (body.Decode is not null) throw OtherKind(id, "decode", SampleFields);
        int count = SampleCount.Of(body, options, json);
        double temperature = body.Temperature ?? DefaultTemperature;
        if (temperature < 0 || temperature > TextLatentEbmInference.MaxTemperature)
            throw new RequestValidationException("temperature", $"temperature must be {json.Expectation("temperature")}, got {temperature}");
        int seed = Seeds.Of(http.Request, body.Seed);
        var samples = await Rows(http, id).Run(count, () => Task.Run(() => model.Sample(count, seed, temperature), ct));
        Metrics(http).Batch("text_prior", model.Manifest.Model.PriorSteps, count);
        ModelOutputException.ThrowUnlessFinite([.. samples.Select(s => s.Latent)]);
        Seeds.Report(http, seed);
        return TypedResults.Ok(new TextSamples(seed, temperature, [.. samples.Select(s => new TextSampleAnswer(s.Text, s.Words, s.Latent, s.Ended))]));
    }

    /// <summary>
    /// <c>POST /latents</c> <c>{sentences, seed}</c> → <see cref="TextLatents"/>: posterior latents and each sentence's words
    /// as the model read them (a word outside the vocabulary as &lt;unk&gt;) with how many were unknown.
    /// </summary>
    public static async Task<LatentsResult> Latents(string id, TextLatentEbmInference model, HttpContext http, RequestJson json, ServerOptions options, CancellationToken ct)
    {
        var (sentences, seed, read) = await ReadSentences(id, model, http, json, options, ct);
        var latents = await Rows(http, id).Run(sentences.Length, () => Task.Run(() => model.InferLatents(sentences, seed), ct));
        Metrics(http).Batch("text_posterior", model.Manifest.Model.PosteriorSteps, sentences.Length);
        ModelOutputException.ThrowUnlessFinite(latents);
        int nz = model.Nz;
        Seeds.Report(http, seed);
        return TypedResults.Ok(new TextLatents(seed, [.. Enumerable.Range(0, sentences.Length).Select(i => latents.AsSpan(i * nz, nz).ToArray())], read));
    }

    /// <summary>
    /// <c>POST /scores</c> <c>{sentences, seed}</c> → <see cref="TextScores"/>: the negative log joint in nats at each
    /// sentence's posterior latent (<see cref="TextLatentEbmInference.Score"/>), higher = more anomalous.
    /// </summary>
    public static async Task<ScoresResult> Scores(string id, TextLatentEbmInference model, HttpContext http, RequestJson json, ServerOptions options, CancellationToken ct)
    {
        var (sentences, seed, read) = await ReadSentences(id, model, http, json, options, ct);
        var scores = await Rows(http, id).Run(sentences.Length, () => Task.Run(() => model.Score(sentences, seed), ct));
        Metrics(http).Batch("text_posterior", model.Manifest.Model.PosteriorSteps, sentences.Length);
        ModelOutputException.ThrowUnlessFinite(scores);
        Seeds.Report(http, seed);
        return TypedResults.Ok(new TextScores(seed, scores, read));
    }

    private static async Task<(string[] Sentences, int Seed, SentenceRead[] Read)> ReadSentences(
        string id, TextLatentEbmInference model, HttpContext http, RequestJson json, ServerOptions options, CancellationToken ct)
    {
        PosteriorStart.NoneForText(http.Request, id);
        var body = await ReadJson<ObservationsRequest>(http.Request, id, json, SentenceFields, defaults: null, ct);
        if (body.Images is not null) throw OtherKind(id, "images", SentenceFields);
        string[] sentences = body.Sentences ?? throw new RequestValidationException("sentences", $"sentences is required: {json.Expectation("sentences")}");
        if (sentences.Length < 1 || sentences.Length > options.MaxSentences)
            throw new RequestValidationException("sentences", $"sentences must be {json.Expectation("sentences")}, got {sentences.Length}");
        int seed = Seeds.Of(http.Request, body.Seed);
        // Tokenized here first so that a sentence the model cannot read is refused before any graph runs (TextInputException: 400).
        var read = model.Tokenize(sentences).Select(s => new SentenceRead([.. s.Ids.Select(i => model.Vocabulary[i])], s.UnknownWords)).ToArray();
        return (sentences, seed, read);
    }

    /// <summary>
    /// The JSON body (<paramref name="defaults"/> for an empty one, where the route has defaults). Image files (PNG, JPEG,
    /// multipart) sent to a text model are a 415 naming the model's kind; then the Accept header must admit JSON (406).
    /// </summary>
    private static async Task<T> ReadJson<T>(HttpRequest request, string id, RequestJson json, string[] fields, T? defaults, CancellationToken ct) where T : class
    {
        BodyKind kind;
        try
        {
            kind = ContentNegotiation.Body(request, ContentNegotiation.JsonOnly);
        }
        catch (UnsupportedMediaTypeException e) when (request.ContentType is { } type && (type.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || type.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase)))
        {
            throw new UnsupportedMediaTypeException(e.Field, $"model {id} is a text model: send a JSON body ({{{string.Join(", ", fields)}}}), not image files", e.Accepted);
        }
        ContentNegotiation.Answer(request, png: false);
        if (kind == BodyKind.Empty)
            return defaults ?? throw new RequestValidationException(fields[0], $"{fields[0]} is required: {json.Expectation(fields[0])}");
        return await json.Read<T>(request, fields, ct);
    }

    /// <summary>A field of the image models' bodies sent to a text model: a 400 naming the model's kind.</summary>
    private static RequestValidationException OtherKind(string id, string field, string[] known) =>
        new(field, $"model {id} is a text model: '{field}' is for image models; this endpoint takes {string.Join(", ", known)}");

    /// <summary>The text model's budget of queued rows (<see cref="ServerOptions.MaxQueuedRowsPerModel"/>): over it, 503 with Retry-After.</summary>
    private static QueuedRows Rows(HttpContext http, string id) => http.RequestServices.GetRequiredService<ModelRegistry>().QueuedRowsOf(id)!;

    private static ServiceMetrics Metrics(HttpContext http) => http.RequestServices.GetRequiredService<ServiceMetrics>();
}
