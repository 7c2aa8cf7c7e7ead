using LatentEbm.Server.Endpoints.Contracts;
using LatentEbm.Server.Endpoints.Json;
using LatentEbm.Server.Endpoints.OpenApi;
using LatentEbm.Server.Hosting;

namespace LatentEbm.Server.Endpoints;

/// <summary>
/// The <c>/v1</c> API as an <see cref="IEndpointRouteBuilder"/> extension (the dotnet/eShop <c>CatalogApi</c> shape): each
/// route with its name, summary, description, request body types and every status it can answer, so that the OpenAPI
/// document (<c>/openapi/v1.json</c>, <see cref="ApiDocument"/>) describes it fully.
/// </summary>
public static class LatentEbmApi
{
    /// <summary>Registers what the API needs: the request body reader (<see cref="RequestJson"/>) and the OpenAPI document.</summary>
    public static IServiceCollection AddLatentEbmApi(this IServiceCollection services)
    {
        services.AddSingleton(sp => new RequestJson(sp.GetRequiredService<ServerOptions>()));
        services.AddOpenApi(ApiDocument.Configure);
        return services;
    }

    /// <summary>Maps <c>/v1/models</c>, <c>/v1/models/{id}</c> and the compute routes <c>/v1/models/{id}/{samples,latents,reconstructions,scores}</c>.</summary>
    public static IEndpointRouteBuilder MapLatentEbmApi(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<ServerOptions>();
        var v1 = app.MapGroup("/v1").WithTags("models");
        if (options.ApiKeyFile is not null) v1.ProducesProblem(StatusCodes.Status401Unauthorized); // the key check (ApiKeyMiddleware)

        v1.MapGet("/models", ModelEndpoints.List)
            .WithName("ListModels")
            .WithSummary("List the loaded models")
            .WithDescription("Every model bundle the service loaded (folder names under --models), with its kind (image or text), execution provider and manifest.");
        v1.MapGet("/models/{id}", ModelEndpoints.Get)
            .WithName("GetModel")
            .WithSummary("Describe one model")
            .WithDescription("The model's kind, execution provider and manifest; 404 for an unknown id.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        string limits = $"Limits of this server: count 1..{options.MaxSamples} (MaxSamples), 1..{options.MaxImages} images (MaxImages), " +
            $"1..{options.MaxSentences} sentences (MaxSentences), bodies up to {options.MaxBodyBytes} bytes (MaxBodyBytes; larger: 413). " +
            "Without a seed a fresh random one is drawn; every answer returns the seed it used (field seed and header Latent-Ebm-Seed), and sending it back reproduces the answer exactly. " +
            "Requests beyond the concurrency and queue limits get 429 with Retry-After; " +
            $"bodies beyond the budget of request bytes in flight ({options.RequestBytesInFlight} bytes, MaxRequestBytesInFlight) or rows beyond a model's budget of queued rows " +
            $"({options.MaxQueuedRowsPerModel}, MaxQueuedRowsPerModel) get 503 with Retry-After.";
        string posterior = "Image models: JSON rows, or image files (the bundle's H x W already) as the whole body (image/png, image/jpeg; seed in ?seed=) or as multipart/form-data parts (seed as a form field or in ?seed=); " +
            "the chain starts at the encoder's mean when the model has an encoder, ?start=noise (or encoder) chooses. Text models: JSON {sentences, seed}; ?start is refused. " +
            "A field of the other kind of model is a 400 naming the model's kind.";

        var compute = v1.MapGroup("/models/{id}")
            .RequireRateLimiting(ModelEndpoints.ComputePolicy)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status406NotAcceptable)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status500InternalServerError)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        compute.MapPost("/samples", ModelEndpoints.Samples)
            .WithName("Samples")
            .WithSummary("Draw samples from the prior")
            .WithDescription("Image models: prior latents z (Langevin chain on the EBM prior) and decoded images g(z); with Accept preferring image/png, one PNG grid of the decoded samples (8 a row, RGB for colour models). " +
                "Text models: sentences decoded from prior latents at a temperature. An empty body with no Content-Type means all defaults. " + limits)
            .AddOpenApiOperationTransformer(ApiDocument.JsonBody<SamplesRequest>(required: false))
            .AddOpenApiOperationTransformer(ApiDocument.SeedParameter)
            .AddOpenApiOperationTransformer(ApiDocument.PngAnswer)
            .AddOpenApiOperationTransformer(ApiDocument.OneOfAnswers<ImageSamples, TextSamples>());
        compute.MapPost("/latents", ModelEndpoints.Latents)
            .WithName("Latents")
            .WithSummary("Infer posterior latents")
            .WithDescription("Posterior latents z ~ p(z | x) by the bundle's test-time chain, one row per image or sentence (text models also report each sentence as read). " + posterior + " " + limits)
            .AddOpenApiOperationTransformer(ApiDocument.JsonBody<ObservationsRequest>(required: true))
            .AddOpenApiOperationTransformer(ApiDocument.ImageBodies)
            .AddOpenApiOperationTransformer(ApiDocument.OneOfAnswers<ImageLatents, TextLatents>());
        compute.MapPost("/reconstructions", ModelEndpoints.Reconstructions)
            .WithName("Reconstructions")
            .WithSummary("Reconstruct images (image models)")
            .WithDescription("g(z) at the posterior latents of the images; with Accept preferring image/png, one PNG grid (8 a row). A text model's id is a 400 naming its kind. " + posterior + " " + limits)
            .AddOpenApiOperationTransformer(ApiDocument.JsonBody<ReconstructionsRequest>(required: true))
            .AddOpenApiOperationTransformer(ApiDocument.ImageBodies)
            .AddOpenApiOperationTransformer(ApiDocument.PngAnswer);
        compute.MapPost("/scores", ModelEndpoints.Scores)
            .WithName("Scores")
            .WithSummary("Anomaly scores")
            .WithDescription("An anomaly score per image or sentence, higher = more anomalous: the negative log joint -log p(x, z) at the posterior latent (text models: in nats, with each sentence as read). " + posterior + " " + limits)
            .AddOpenApiOperationTransformer(ApiDocument.JsonBody<ObservationsRequest>(required: true))
            .AddOpenApiOperationTransformer(ApiDocument.ImageBodies)
            .AddOpenApiOperationTransformer(ApiDocument.OneOfAnswers<ImageScores, TextScores>());
        return app;
    }
}
