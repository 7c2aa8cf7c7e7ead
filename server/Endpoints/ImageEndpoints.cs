using LatentEbm.Data.Imaging;
using LatentEbm.Inference;
using LatentEbm.Server.Batching;
using LatentEbm.Server.Endpoints.Contracts;
using LatentEbm.Server.Endpoints.Json;
using LatentEbm.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LatentEbm.Server.Endpoints;

/// <summary>
/// The <c>/v1/models/{id}</c> routes of an image model, through its micro-batchers (<see cref="ModelBatchers"/>): prior
/// samples, posterior latents, reconstructions and anomaly scores. Bodies are JSON (<see cref="SamplesRequest"/>,
/// <see cref="ObservationsRequest"/>, <see cref="ReconstructionsRequest"/>) or, for the posterior routes, PNG/JPEG files
/// (<see cref="ImageBodyReader"/>). Row j of a request runs on Philox stream j of its seed, so an answer equals the
/// library's with the same seed whatever it was batched with.
/// </summary>
public static class ImageEndpoints
{
    /// <summary>The fields of <c>/samples</c> for an image model.</summary>
    public static readonly string[] SampleFields = ["count", "seed", "decode"];

    /// <summary>The fields of <c>/latents</c>, <c>/reconstructions</c> and <c>/scores</c> for an image model.</summary>
    public static readonly string[] ImageFields = ["images", "seed"];

    /// <summary><c>POST /samples</c>: <see cref="ImageSamples"/>, or with <c>Accept: image/png</c> preferred one PNG grid of the decoded samples.</summary>
    public static async Task<SamplesResult> Samples(string id, ModelBatchers batchers, HttpContext http, RequestJson json, ServerOptions options, CancellationToken ct)
    {
        var kind = ContentNegotiation.Body(http.Request, ContentNegotiation.JsonOnly);
        var answer = ContentNegotiation.Answer(http.Request, png: true);
        var body = kind == BodyKind.Empty ? new SamplesRequest() : await json.Read<SamplesRequest>(http.Request, SampleFields, ct);
        if (body.Temperature is not null) throw OtherKind(id, "temperature", SampleFields);
        int count = SampleCount.Of(body, options, json);
        int seed = Seeds.Of(http.Request, body.Seed);
        bool png = answer == AnswerKind.Png;
        var model = batchers.Model;
        var sample = await batchers.Samples(new SampleRequest(count, seed), ct);
        ModelOutputException.ThrowUnlessFinite(sample.Latents, sample.Images);
        Seeds.Report(http, seed);
        if (png) return Png(model, sample.Images!, count);
        bool decode = body.Decode ?? true;
        return TypedResults.Ok(new ImageSamples(seed, Rows(sample.Latents, model.Nz), decode ? Rows(sample.Images!, model.PixelsPerImage) : null));
    }

    /// <summary><c>POST /latents</c>: posterior latents <c>[n][nz]</c>.</summary>
    public static async Task<LatentsResult> Latents(string id, ModelBatchers batchers, HttpContext http, RequestJson json, ServerOptions options, CancellationToken ct)
    {
        ContentNegotiation.Answer(http.Request, png: false);
        var start = PosteriorStart.Of(http.Request, id, batchers.Model);
        var request = await Images(http.Request, id, batchers.Model, json, options, ct);
        var latents = await batchers.Latents(request, start, ct);
        ModelOutputException.ThrowUnlessFinite(latents);
        Seeds.Report(http, request.Seed);
        return TypedResults.Ok(new ImageLatents(request.Seed, Rows(latents, batchers.Model.Nz)));
    }

    /// <summary><c>POST /reconstructions</c>: g(z) at the posterior latents, as JSON rows or (preferred by Accept) one PNG grid.</summary>
    public static async Task<ReconstructionsResult> Reconstructions(string id, ModelBatchers batchers, HttpContext http, RequestJson json, ServerOptions options, CancellationToken ct)
    {
        var answer = ContentNegotiation.Answer(http.Request, png: true);
        var start = PosteriorStart.Of(http.Request, id, batchers.Model);
        var request = await Images(http.Request, id, batchers.Model, json, options, ct, reconstructions: true);
        var images = await batchers.Reconstructions(request, start, ct);
        ModelOutputException.ThrowUnlessFinite(images);
        Seeds.Report(http, request.Seed);
        if (answer == AnswerKind.Png) return Png(batchers.Model, images, request.Count);
        return TypedResults.Ok(new Reconstructions(request.Seed, Rows(images, batchers.Model.PixelsPerImage)));
    }

    /// <summary><c>POST /scores</c>: an anomaly score per image, higher = more anomalous.</summary>
    public static async Task<ScoresResult> Scores(string id, ModelBatchers batchers, HttpContext http, RequestJson json, ServerOptions options, CancellationToken ct)
    {
        ContentNegotiation.Answer(http.Request, png: false);
        var start = PosteriorStart.Of(http.Request, id, batchers.Model);
        var request = await Images(http.Request, id, batchers.Model, json, options, ct);
        var scores = await batchers.Scores(request, start, ct);
        ModelOutputException.ThrowUnlessFinite(scores);
        Seeds.Report(http, request.Seed);
        return TypedResults.Ok(new ImageScores(request.Seed, scores));
    }

    /// <summary>
    /// The images of a posterior request and its seed (fresh when none is given): JSON rows <c>{images, seed}</c>, or PNG/JPEG
    /// files (one as the body, or multipart parts) decoded to the bundle's [C, H, W] by <see cref="ImageBodyReader"/>.
    /// </summary>
    private static async Task<ImageRequest> Images(HttpRequest http, string id, LatentEbmInference model, RequestJson json, ServerOptions options, CancellationToken ct, bool reconstructions = false)
    {
        var kind = ContentNegotiation.Body(http, ContentNegotiation.JsonOrImages);
        if (kind is BodyKind.Image or BodyKind.Multipart)
        {
            var files = await ImageBodyReader.Read(http, id, model.Manifest.Model, options.MaxImages, ct);
            return new ImageRequest(files.Images, files.Count, Seeds.OrFresh(files.Seed));
        }
        if (kind == BodyKind.Empty) throw new RequestValidationException("images", $"images is required: {json.Expectation("images")}");
        PixelRows? images;
        int? seed;
        if (!reconstructions)
        {
            var body = await json.Read<ObservationsRequest>(http, ImageFields, ct);
            if (body.Sentences is not null) throw OtherKind(id, "sentences", ImageFields);
            (images, seed) = (body.Images, body.Seed);
        }
        else
        {
            var body = await json.Read<ReconstructionsRequest>(http, ImageFields, ct);
            (images, seed) = (body.Images, body.Seed);
        }
        var rows = images ?? throw new RequestValidationException("images", $"images is required: {json.Expectation("images")}");
        if (rows.Rows < 1)
            throw new RequestValidationException("images", $"images must be {json.Expectation("images")}, got 0 rows");
        if (rows.RowLength != model.PixelsPerImage)
            throw new RequestValidationException("images[0]", $"images[0] must be an array of {model.PixelsPerImage} numbers, got {rows.RowLength} values (model {id} takes images [C, H, W] = [{string.Join(", ", model.Manifest.Model.ImageShape)}])");
        var settings = model.Manifest.Model;
        for (int i = 0; i < rows.Values.Length; i++)
            if (!settings.AcceptsPixel(rows.Values[i]))
            {
                string field = $"images[{i / rows.RowLength}][{i % rows.RowLength}]";
                throw new RequestValidationException(field, $"{field} is {rows.Values[i]}, outside the model's pixel range [{settings.PixelRange[0]}, {settings.PixelRange[1]}]");
            }
        return new ImageRequest(rows.Values, rows.Rows, Seeds.Of(http, seed));
    }

    /// <summary>A field of the text models' bodies sent to an image model: a 400 naming the model's kind.</summary>
    private static RequestValidationException OtherKind(string id, string field, string[] known) =>
        new(field, $"model {id} is an image model: '{field}' is for text models; this endpoint takes {string.Join(", ", known)}");

    /// <summary><paramref name="count"/> images <c>[C, H, W]</c> of the model as one PNG grid, 8 a row, grey or colour by C.</summary>
    private static FileContentHttpResult Png(LatentEbmInference model, float[] images, int count)
    {
        int[] shape = model.Manifest.Model.ImageShape;
        return TypedResults.File(ImageGrid.EncodePng(images, count, shape[0], shape[1], shape[2], columns: Math.Min(count, 8)), "image/png");
    }

    private static float[][] Rows(float[] flat, int rowSize)
    {
        var rows = new float[flat.Length / rowSize][];
        for (int i = 0; i < rows.Length; i++) rows[i] = flat.AsSpan(i * rowSize, rowSize).ToArray();
        return rows;
    }
}
