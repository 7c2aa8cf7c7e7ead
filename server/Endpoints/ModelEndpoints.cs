using LatentEbm.Data.Imaging;
using LatentEbm.Inference;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Text;
using LatentEbm.Server.Batching;
using LatentEbm.Server.Hosting;

namespace LatentEbm.Server.Endpoints;

/// <summary>
/// The <c>/v1</c> API: models, prior samples, posterior latents, reconstructions, anomaly scores. The posterior routes
/// (<c>/latents</c>, <c>/reconstructions</c>, <c>/scores</c>) start their chains at the encoder's mean when the model has an
/// encoder, and take <c>?start=noise</c> (or <c>encoder</c>) to choose (<see cref="RequestReader.Start"/>). A text model
/// answers <c>/samples</c>, <c>/latents</c> and <c>/scores</c> through <see cref="TextEndpoints"/>; a body of the other kind of
/// model, or <c>/reconstructions</c> on a text model, is a 400 naming the model's kind.
/// </summary>
public static class ModelEndpoints
{
    /// <summary>Rate-limiter policy of the compute endpoints.</summary>
    public const string ComputePolicy = "compute";

    /// <summary>Maps the routes.</summary>
    public static void Map(WebApplication app)
    {
        var v1 = app.MapGroup("/v1");
        v1.MapGet("/models", (ModelRegistry registry) =>
            Results.Ok(new { models = registry.Ids.Select(id => Describe(id, registry)) }));
        v1.MapGet("/models/{id}", (string id, ModelRegistry registry) =>
            registry.Find(id) is not null || registry.FindText(id) is not null ? Results.Ok(Describe(id, registry)) : Problems.UnknownModel(id));

        var compute = v1.MapGroup("/models/{id}").RequireRateLimiting(ComputePolicy);
        compute.MapPost("/samples", (string id, HttpContext http, ModelRegistry registry, ServerOptions options) =>
            Handle("samples", id, http, registry, async (batchers, ct) =>
            {
                var model = batchers.Model;
                var body = await RequestReader.ReadObject(http.Request, ct);
                RequestReader.OfKind(body, id, text: false, "count", "seed", "decode");
                int count = RequestReader.Int(body, "count", 16, 1, options.MaxSamples);
                int seed = RequestReader.Int(body, "seed", 0, int.MinValue, int.MaxValue);
                bool png = AcceptsPng(http);
                bool decode = png || RequestReader.Bool(body, "decode", true);
                var sample = await batchers.Samples(new SampleRequest(count, seed), ct);
                if (png) return Png(model, sample.Images!, count);
                return Ok(() => new { latents = Rows(sample.Latents, model.Nz), images = decode ? Rows(sample.Images!, model.PixelsPerImage) : null }, sample.Latents, sample.Images!);
            }, (text, ct) => TextEndpoints.Samples(id, text, http, options, ct)));
        compute.MapPost("/latents", (string id, HttpContext http, ModelRegistry registry, ServerOptions options) =>
            Handle("latents", id, http, registry, async (batchers, ct) =>
            {
                var start = RequestReader.Start(http.Request, id, batchers.Model);
                var request = await Images(http.Request, id, batchers.Model, options, ct);
                var latents = await batchers.Latents(request, start, ct);
                return Ok(() => new { latents = Rows(latents, batchers.Model.Nz) }, latents);
            }, (text, ct) => TextEndpoints.Latents(id, text, http, options, ct)));
        compute.MapPost("/reconstructions", (string id, HttpContext http, ModelRegistry registry, ServerOptions options) =>
            Handle("reconstructions", id, http, registry, async (batchers, ct) =>
            {
                var start = RequestReader.Start(http.Request, id, batchers.Model);
                var request = await Images(http.Request, id, batchers.Model, options, ct);
                var images = await batchers.Reconstructions(request, start, ct);
                if (AcceptsPng(http) && images.All(float.IsFinite)) return Png(batchers.Model, images, request.Count);
                return Ok(() => new { images = Rows(images, batchers.Model.PixelsPerImage) }, images);
            }));
        compute.MapPost("/scores", (string id, HttpContext http, ModelRegistry registry, ServerOptions options) =>
            Handle("scores", id, http, registry, async (batchers, ct) =>
            {
                var start = RequestReader.Start(http.Request, id, batchers.Model);
                var request = await Images(http.Request, id, batchers.Model, options, ct);
                var scores = await batchers.Scores(request, start, ct);
                return Ok(() => new { scores }, scores);
            }, (text, ct) => TextEndpoints.Scores(id, text, http, options, ct)));
    }

    /// <summary>Whether the client asked for a PNG (<c>Accept: image/png</c>) rather than JSON.</summary>
    private static bool AcceptsPng(HttpContext http) =>
        http.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("image/png", StringComparison.OrdinalIgnoreCase));

    /// <summary><paramref name="count"/> images <c>[C, H, W]</c> of the model as one PNG grid, 8 a row, grey or colour by C.</summary>
    private static IResult Png(LatentEbmInference model, float[] images, int count)
    {
        int[] shape = model.Manifest.Model.ImageShape;
        return Results.File(ImageGrid.EncodePng(images, count, shape[0], shape[1], shape[2], columns: Math.Min(count, 8)), "image/png");
    }

    /// <summary>200 with the body, unless the model produced NaN or infinity (a model fault: 500 problem+json, not a broken JSON writer).</summary>
    private static IResult Ok(Func<object> body, params float[][] outputs) =>
        outputs.All(values => values.All(float.IsFinite))
            ? Results.Ok(body())
            : Results.Problem("the model produced a non-finite value for this input", statusCode: StatusCodes.Status500InternalServerError, title: "non-finite model output");

    /// <summary>A model's id, kind (<c>image</c> or <c>text</c>), execution provider and manifest.</summary>
    private static object Describe(string id, ModelRegistry registry) => registry.FindText(id) is { } text
        ? new { id, kind = "text", provider = text.Provider.Provider.ToString().ToLowerInvariant(), manifest = (object)text.Manifest }
        : new { id, kind = "image", provider = registry.Find(id)!.Model.Provider.Provider.ToString().ToLowerInvariant(), manifest = (object)registry.Find(id)!.Model.Manifest };

    /// <summary>
    /// The images of a posterior request: JSON rows <c>{images, seed}</c>, or PNG/JPEG files (one as the
    /// body, or multipart parts) decoded to the bundle's [C, H, W] by <see cref="ImageBodyReader"/>.
    /// </summary>
    private static async Task<ImageRequest> Images(HttpRequest http, string id, LatentEbmInference model, ServerOptions options, CancellationToken ct)
    {
        if (ImageBodyReader.HoldsImages(http))
            return await ImageBodyReader.Read(http, id, model.Manifest.Model, options.MaxImages, ct);
        var body = await RequestReader.ReadObject(http, ct);
        RequestReader.OfKind(body, id, text: false, "images", "seed");
        var (images, count) = RequestReader.Rows(body, "images", model.PixelsPerImage, options.MaxImages, model.Manifest.Model);
        return new ImageRequest(images, count, RequestReader.Int(body, "seed", 0, int.MinValue, int.MaxValue));
    }

    /// <summary>
    /// Common request handling: model lookup (an image model's work, or a text model's; <paramref name="text"/> null = the
    /// route serves image models only), error mapping (body reading included) to problem+json.
    /// </summary>
    private static async Task<IResult> Handle(string endpoint, string id, HttpContext http, ModelRegistry registry,
        Func<ModelBatchers, CancellationToken, Task<IResult>> work, Func<TextLatentEbmInference, CancellationToken, Task<IResult>>? text = null)
    {
        var batchers = registry.Find(id);
        var textModel = registry.FindText(id);
        Func<CancellationToken, Task<IResult>>? run = textModel is not null
            ? ct => text is not null ? text(textModel, ct)
                : Task.FromResult(Problems.Invalid("id", $"model {id} is a text model: /{endpoint} serves image models; a text model serves samples, latents and scores"))
            : batchers is not null ? ct => work(batchers, ct) : null;
        return run is null ? Problems.UnknownModel(id) : await HandleUnmeasured(http, run);
    }

    private static async Task<IResult> HandleUnmeasured(HttpContext http, Func<CancellationToken, Task<IResult>> work)
    {
        var ct = http.RequestAborted;
        try
        {
            return await work(ct);
        }
        catch (RequestValidationException e)
        {
            return Problems.Invalid(e.Field, e.Message);
        }
        catch (UnsupportedMediaTypeException e)
        {
            return Problems.UnsupportedMediaType(e.Field, e.Message, e.Accepted);
        }
        catch (ModelBusyException e)
        {
            http.Response.Headers.RetryAfter = Hosting.RequestBodyBudgetMiddleware.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problems.Busy(e);
        }
        catch (TextInputException e)
        {
            return Problems.InvalidSentence(e);
        }
        catch (ArgumentException e)
        {
            return Problems.Invalid(e.ParamName ?? "$", e.Message);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problems.TooLarge(http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? 0);
        }
    }

    private static float[][] Rows(float[] flat, int rowSize)
    {
        var rows = new float[flat.Length / rowSize][];
        for (int i = 0; i < rows.Length; i++) rows[i] = flat.AsSpan(i * rowSize, rowSize).ToArray();
        return rows;
    }
}
