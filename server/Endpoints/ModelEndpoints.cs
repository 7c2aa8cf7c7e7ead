using LatentEbm.Inference.Text;
using LatentEbm.Server.Endpoints.Contracts;
using LatentEbm.Server.Endpoints.Json;
using LatentEbm.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LatentEbm.Server.Endpoints;

/// <summary>
/// The handlers of the <c>/v1</c> routes (mapped by <see cref="LatentEbmApi.MapLatentEbmApi"/>): the model list and one
/// model, and the compute routes, which find the model (404 when unknown), hand the request to <see cref="ImageEndpoints"/>
/// or <see cref="TextEndpoints"/> by the model's kind, and turn every refusal into a problem document: 400 naming the
/// field, 406, 413, 415, and 500 for a model that produced a non-finite value.
/// </summary>
public static class ModelEndpoints
{
    /// <summary>Rate-limiter policy of the compute endpoints.</summary>
    public const string ComputePolicy = "compute";

    /// <summary><c>GET /v1/models</c>.</summary>
    public static Ok<ModelList> List(ModelRegistry registry) => TypedResults.Ok(new ModelList([.. registry.Ids.Select(id => Describe(id, registry))]));

    /// <summary><c>GET /v1/models/{id}</c>.</summary>
    public static Results<Ok<ModelDescription>, ProblemHttpResult> Get(string id, ModelRegistry registry) =>
        registry.Find(id) is not null || registry.FindText(id) is not null ? TypedResults.Ok(Describe(id, registry)) : Problems.UnknownModel(id);

    /// <summary><c>POST /v1/models/{id}/samples</c>.</summary>
    public static Task<SamplesResult> Samples(string id, HttpContext http, ModelRegistry registry, RequestJson json, ServerOptions options) =>
        Guard<SamplesResult>(http, QueryParameters.Samples, ct =>
            registry.FindText(id) is { } text ? TextEndpoints.Samples(id, text, http, json, options, ct)
            : registry.Find(id) is { } batchers ? ImageEndpoints.Samples(id, batchers, http, json, options, ct)
            : Task.FromResult<SamplesResult>(Problems.UnknownModel(id)), p => p);

    /// <summary><c>POST /v1/models/{id}/latents</c>.</summary>
    public static Task<LatentsResult> Latents(string id, HttpContext http, ModelRegistry registry, RequestJson json, ServerOptions options) =>
        Guard<LatentsResult>(http, QueryParameters.Posterior, ct =>
            registry.FindText(id) is { } text ? TextEndpoints.Latents(id, text, http, json, options, ct)
            : registry.Find(id) is { } batchers ? ImageEndpoints.Latents(id, batchers, http, json, options, ct)
            : Task.FromResult<LatentsResult>(Problems.UnknownModel(id)), p => p);

    /// <summary><c>POST /v1/models/{id}/reconstructions</c> (image models only; a text model's id is a 400 naming its kind).</summary>
    public static Task<ReconstructionsResult> Reconstructions(string id, HttpContext http, ModelRegistry registry, RequestJson json, ServerOptions options) =>
        Guard<ReconstructionsResult>(http, QueryParameters.Posterior, ct =>
            registry.FindText(id) is not null
                ? Task.FromResult<ReconstructionsResult>(Problems.Invalid("id", $"model {id} is a text model: /reconstructions serves image models; a text model serves samples, latents and scores"))
            : registry.Find(id) is { } batchers ? ImageEndpoints.Reconstructions(id, batchers, http, json, options, ct)
            : Task.FromResult<ReconstructionsResult>(Problems.UnknownModel(id)), p => p);

    /// <summary><c>POST /v1/models/{id}/scores</c>.</summary>
    public static Task<ScoresResult> Scores(string id, HttpContext http, ModelRegistry registry, RequestJson json, ServerOptions options) =>
        Guard<ScoresResult>(http, QueryParameters.Posterior, ct =>
            registry.FindText(id) is { } text ? TextEndpoints.Scores(id, text, http, json, options, ct)
            : registry.Find(id) is { } batchers ? ImageEndpoints.Scores(id, batchers, http, json, options, ct)
            : Task.FromResult<ScoresResult>(Problems.UnknownModel(id)), p => p);

    /// <summary>A model's id, kind (<c>image</c> or <c>text</c>), execution provider and manifest.</summary>
    private static ModelDescription Describe(string id, ModelRegistry registry) => registry.FindText(id) is { } text
        ? new(id, "text", text.Provider.Provider.ToString().ToLowerInvariant(), text.Manifest)
        : new(id, "image", registry.Find(id)!.Model.Provider.Provider.ToString().ToLowerInvariant(), registry.Find(id)!.Model.Manifest);

    /// <summary>Runs <paramref name="work"/>, turning the request's faults (and the model's non-finite output) into problem documents.</summary>
    /// <param name="http">The request.</param>
    /// <param name="query">The query parameters the route reads (<see cref="QueryParameters"/>); any other is a 400.</param>
    /// <param name="work">The route's work.</param>
    /// <param name="problem">A problem document as the route's result type.</param>
    private static async Task<TResult> Guard<TResult>(HttpContext http, IReadOnlyList<string> query, Func<CancellationToken, Task<TResult>> work, Func<ProblemHttpResult, TResult> problem)
    {
        try
        {
            QueryParameters.Only(http.Request, query);
            return await work(http.RequestAborted);
        }
        catch (RequestValidationException e)
        {
            return problem(Problems.Invalid(e.Field, e.Message));
        }
        catch (UnsupportedMediaTypeException e)
        {
            return problem(Problems.UnsupportedMediaType(e.Field, e.Message, e.Accepted));
        }
        catch (NotAcceptableException e)
        {
            return problem(Problems.NotAcceptable(e.Message, e.Available));
        }
        catch (Batching.ModelBusyException e)
        {
            http.Response.Headers.RetryAfter = Hosting.RequestBodyBudgetMiddleware.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return problem(Problems.Busy(e));
        }
        catch (TextInputException e)
        {
            return problem(Problems.InvalidSentence(e));
        }
        catch (ModelOutputException)
        {
            return problem(Problems.NonFinite());
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return problem(Problems.TooLarge(http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? 0));
        }
        catch (BadHttpRequestException e)
        {
            return problem(Problems.Unreadable(e.StatusCode, e.Message));
        }
        catch (ArgumentException e)
        {
            return problem(Problems.Invalid(e.ParamName ?? "$", e.Message));
        }
    }
}
