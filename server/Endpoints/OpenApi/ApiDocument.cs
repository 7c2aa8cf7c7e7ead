using System.Text.Json.Nodes;
using LatentEbm.Server.Endpoints.Contracts;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace LatentEbm.Server.Endpoints.OpenApi;

/// <summary>
/// The OpenAPI document at <c>/openapi/v1.json</c> (Microsoft.AspNetCore.OpenApi): what ApiExplorer sees of the routes,
/// plus what it cannot see: the image request bodies (PNG, JPEG, multipart) and PNG answers, both kinds of model's answers
/// of a shared route as <c>oneOf</c>, <see cref="PixelRows"/> as the array of rows it is on the wire, and the
/// infrastructure routes <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>.
/// </summary>
public static class ApiDocument
{
    /// <summary>Title, version and transformers of the document.</summary>
    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "latent-ebm-server";
            document.Info.Description = "Latent-space energy-based prior models (PAPER.md) over HTTP: prior samples, posterior latents, reconstructions and anomaly scores, on ONNX Runtime. " +
                "Errors are RFC 9457 problem documents (application/problem+json) whose field names the offending input.";
            Infrastructure(document);
            return Task.CompletedTask;
        });
        // 429 (queue full) and 503 (a memory budget spent) tell the client when to retry.
        options.AddOperationTransformer((operation, _, _) =>
        {
            foreach (string status in (string[])["429", "503"])
                if (operation.Responses?.TryGetValue(status, out var answer) == true && answer is OpenApiResponse response)
                {
                    response.Headers ??= new Dictionary<string, IOpenApiHeader>();
                    response.Headers["Retry-After"] = new OpenApiHeader
                    {
                        Description = "Seconds to wait before sending the request again.",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
                    };
                }
            return Task.CompletedTask;
        });
        options.AddSchemaTransformer((schema, context, _) =>
        {
            if (context.JsonTypeInfo.Type == typeof(PixelRows))
            {
                schema.Type = JsonSchemaType.Array;
                schema.Description ??= context.JsonPropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(System.ComponentModel.DescriptionAttribute), true)
                    .OfType<System.ComponentModel.DescriptionAttribute>().FirstOrDefault()?.Description;
                schema.Properties?.Clear();
                schema.Required?.Clear();
                schema.Items = new OpenApiSchema
                {
                    Type = JsonSchemaType.Array,
                    Description = "One image [C, H, W] flattened row-major: C*H*W numbers in the manifest's pixel_range.",
                    Items = new OpenApiSchema { Type = JsonSchemaType.Number, Format = "float" },
                };
            }
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// The JSON request body of a route, <typeparamref name="T"/>'s schema as a named component. (Not <c>Accepts</c>
    /// metadata: routing would then answer other content types with a bare 415 before the handler can list what it reads.)
    /// </summary>
    public static Func<OpenApiOperation, OpenApiOperationTransformerContext, CancellationToken, Task> JsonBody<T>(bool required) => async (operation, context, cancellation) =>
    {
        var body = (OpenApiRequestBody)(operation.RequestBody ??= new OpenApiRequestBody());
        body.Content ??= new Dictionary<string, OpenApiMediaType>();
        body.Required = required;
        body.Content["application/json"] = new OpenApiMediaType { Schema = await Component(typeof(T), context, cancellation) };
    };

    /// <summary><paramref name="type"/>'s schema, registered under its name in the document's components and referenced.</summary>
    private static async Task<IOpenApiSchema> Component(Type type, OpenApiOperationTransformerContext context, CancellationToken cancellation)
    {
        var schema = await context.GetOrCreateSchemaAsync(type, null, cancellation);
        if (context.Document is not { } document) return schema;
        if (document.Components?.Schemas?.ContainsKey(type.Name) != true) document.AddComponent(type.Name, schema);
        return new OpenApiSchemaReference(type.Name, document);
    }

    private static OpenApiSchema Binary => new() { Type = JsonSchemaType.String, Format = "binary" };

    /// <summary>The <c>?seed=</c> query parameter, which every compute route reads.</summary>
    public static Task SeedParameter(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellation)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = "seed",
            In = ParameterLocation.Query,
            Description = "Seed of the chains, an integer in [-2147483648, 2147483647], for any body (not both here and in the body or form). Any query parameter the route does not read is a 400.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
        });
        return Task.CompletedTask;
    }

    /// <summary>The image bodies of <c>/latents</c>, <c>/reconstructions</c> and <c>/scores</c> (image models), beside the JSON one.</summary>
    public static Task ImageBodies(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellation)
    {
        var body = (OpenApiRequestBody)(operation.RequestBody ??= new OpenApiRequestBody());
        body.Content ??= new Dictionary<string, OpenApiMediaType>();
        body.Required = true;
        body.Description = "JSON (both kinds of model) or, for image models, one PNG or JPEG file as the whole body, or multipart/form-data image parts. Files must have the bundle's H x W; grey files are expanded for colour models and colour files converted to luminance for grey ones.";
        body.Content["image/png"] = new OpenApiMediaType { Schema = Binary };
        body.Content["image/jpeg"] = new OpenApiMediaType { Schema = Binary };
        body.Content["multipart/form-data"] = new OpenApiMediaType
        {
            Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "Image parts (a file name, or image/png, image/jpeg or application/octet-stream), numbered from 0 in the order sent, and an optional seed field; any other field is a 400.",
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    ["images"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = Binary, Description = "1..MaxImages PNG or JPEG files (any part name)." },
                    ["seed"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "Seed of the chains; absent: a fresh random one (also ?seed=, but not both)." },
                },
            },
        };
        SeedParameter(operation, context, cancellation);
        operation.Parameters!.Add(new OpenApiParameter
        {
            Name = "start",
            In = ParameterLocation.Query,
            Description = "Image models: where the posterior chain starts: encoder (the encoder's mean; needs an encoder) or noise. Absent: the encoder when the model has one. Text models refuse it.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("encoder"), JsonValue.Create("noise")] },
        });
        return Task.CompletedTask;
    }

    /// <summary>The PNG grid a route writes when <c>Accept</c> prefers <c>image/png</c>, beside its JSON answer.</summary>
    public static Task PngAnswer(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellation)
    {
        if (operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse response)
        {
            response.Content ??= new Dictionary<string, OpenApiMediaType>();
            response.Content["image/png"] = new OpenApiMediaType { Schema = Binary };
            SeedHeader(response);
            response.Description = "JSON, or with Accept preferring image/png one PNG grid of the images (8 a row). Header Latent-Ebm-Seed: the seed used.";
        }
        return Task.CompletedTask;
    }

    /// <summary>The 200 answer of a route shared by image and text models: one of <typeparamref name="TImage"/>, <typeparamref name="TText"/>.</summary>
    public static Func<OpenApiOperation, OpenApiOperationTransformerContext, CancellationToken, Task> OneOfAnswers<TImage, TText>() => async (operation, context, cancellation) =>
    {
        if (operation.Responses?.TryGetValue("200", out var ok) != true || ok is not OpenApiResponse response) return;
        var image = await Component(typeof(TImage), context, cancellation);
        var text = await Component(typeof(TText), context, cancellation);
        response.Content ??= new Dictionary<string, OpenApiMediaType>();
        response.Content["application/json"] = new OpenApiMediaType
        {
            Schema = new OpenApiSchema { OneOf = [image, text], Description = $"{typeof(TImage).Name} for an image model, {typeof(TText).Name} for a text model (GET /v1/models/{{id}} gives the kind)." },
        };
        response.Description ??= "OK. Header Latent-Ebm-Seed: the seed used.";
        SeedHeader(response);
    };

    /// <summary>The <c>Latent-Ebm-Seed</c> header of a compute route's 200 answer.</summary>
    private static void SeedHeader(OpenApiResponse response)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        response.Headers[Seeds.Header] = new OpenApiHeader
        {
            Description = "The seed the answer used (the request's, or a fresh random one): send it back as seed to reproduce the answer.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
        };
    }

    /// <summary>Adds <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> when ApiExplorer did not list them (health checks, the Prometheus endpoint).</summary>
    private static void Infrastructure(OpenApiDocument document)
    {
        document.Paths ??= new OpenApiPaths();
        Add(document, "/healthz", "Health", "Liveness", "200 while the process serves requests: the health report as JSON ({status, checks}; no checks run).", "application/json", JsonSchemaType.Object);
        Add(document, "/readyz", "Readiness", "Readiness", "200 when at least one model bundle is loaded, 503 otherwise; both with the health report as JSON ({status, checks: {bundles: {status, description, data: {model id: {kind, provider, status}}}}}).",
            "application/json", JsonSchemaType.Object, StatusCodes.Status503ServiceUnavailable);
        Add(document, "/metrics", "Metrics", "Prometheus metrics", "Prometheus text exposition (OpenTelemetry): HTTP server metrics and the service's own instruments (chain steps, batch rows, provider). Needs the API key with --protect-metrics.",
            "text/plain", JsonSchemaType.String);
    }

    private static void Add(OpenApiDocument document, string path, string name, string summary, string description, string contentType, JsonSchemaType type, int? failure = null)
    {
        if (document.Paths.ContainsKey(path)) return;
        OpenApiOperation Operation(string id) => new()
        {
            OperationId = id,
            Summary = summary,
            Description = description,
            Responses = new OpenApiResponses
            {
                ["200"] = new OpenApiResponse { Description = "OK", Content = new Dictionary<string, OpenApiMediaType> { [contentType] = new() { Schema = new OpenApiSchema { Type = type } } } },
            },
        };
        var get = Operation(name);
        var head = Operation(name + "Head");
        if (failure is int status)
            foreach (var operation in new[] { get, head })
                operation.Responses![status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse
                {
                    Description = "Not ready",
                    Content = new Dictionary<string, OpenApiMediaType> { [contentType] = new() { Schema = new OpenApiSchema { Type = type } } },
                };
        document.Paths[path] = new OpenApiPathItem { Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Get] = get, [HttpMethod.Head] = head } };
    }
}
