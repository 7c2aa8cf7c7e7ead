using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace LatentEbm.Server.Tests;

/// <summary>The OpenAPI document at /openapi/v1.json describes every route the application maps, with its bodies and answers.</summary>
public class OpenApiDocumentTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private async Task<JsonObject> Document()
    {
        using var response = await server.Client.GetAsync("/openapi/v1.json");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    /// <summary>Every (path, method) of the app's endpoints (the document's own route aside); a route without method metadata answers any method: "*".</summary>
    private IReadOnlyList<(string Path, string Method)> Routes() =>
        [.. server.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Path: "/" + e.RoutePattern.RawText!.TrimStart('/'), Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"]))
            .Where(r => !r.Path.StartsWith("/openapi/", StringComparison.Ordinal))
            .SelectMany(r => r.Methods.Select(m => (r.Path, m.ToLowerInvariant())))];

    /// <summary>The routes <paramref name="document"/> lacks (a path, or a method of it).</summary>
    private static List<string> Missing(JsonObject document, IEnumerable<(string Path, string Method)> routes)
    {
        var paths = document["paths"]!.AsObject();
        return [.. routes.Where(r => paths[r.Path] is not JsonObject item || r.Method != "*" && item[r.Method] is null).Select(r => $"{r.Method} {r.Path}")];
    }

    [Fact]
    public async Task TheDocumentListsEveryRouteOfTheAppWithItsMethods()
    {
        var document = await Document();
        Assert.StartsWith("3.", document["openapi"]!.GetValue<string>());
        var routes = Routes();
        Assert.Contains(("/v1/models/{id}/scores", "post"), routes);
        Assert.Contains(routes, r => r.Path == "/healthz");
        Assert.Contains(routes, r => r.Path == "/metrics");
        Assert.Empty(Missing(document, routes));
        // The check fails on a document that lacks a route.
        document["paths"]!.AsObject().Remove("/v1/models/{id}/scores");
        Assert.Equal(["post /v1/models/{id}/scores"], Missing(document, routes));
    }

    [Fact]
    public async Task ImageRoutesTakeJsonPngJpegAndMultipartAndEveryProblemIsDescribed()
    {
        var paths = (await Document())["paths"]!.AsObject();
        foreach (var route in new[] { "latents", "reconstructions", "scores" })
        {
            var post = paths[$"/v1/models/{{id}}/{route}"]!["post"]!;
            var content = post["requestBody"]!["content"]!.AsObject();
            Assert.Equal(["application/json", "image/png", "image/jpeg", "multipart/form-data"], content.Select(c => c.Key));
            Assert.Equal("binary", content["image/png"]!["schema"]!["format"]!.GetValue<string>());
            Assert.NotNull(content["multipart/form-data"]!["schema"]!["properties"]!["images"]);
        }
        var samples = paths["/v1/models/{id}/samples"]!["post"]!;
        Assert.Equal(["application/json"], samples["requestBody"]!["content"]!.AsObject().Select(c => c.Key));
        var responses = samples["responses"]!.AsObject();
        Assert.Equal(["200", "400", "404", "406", "413", "415", "429", "500", "503"], responses.Select(r => r.Key).Order());
        foreach (var status in new[] { "400", "404", "406", "413", "415", "429", "500", "503" })
            Assert.NotNull(responses[status]!["content"]!["application/problem+json"]);
        foreach (var status in new[] { "429", "503" })
            Assert.Equal("integer", responses[status]!["headers"]!["Retry-After"]!["schema"]!["type"]!.GetValue<string>());
        var ok = responses["200"]!["content"]!.AsObject();
        Assert.NotNull(ok["image/png"]);
        Assert.Equal("integer", responses["200"]!["headers"]!["Latent-Ebm-Seed"]!["schema"]!["type"]!.GetValue<string>());
        Assert.Equal(2, ok["application/json"]!["schema"]!["oneOf"]!.AsArray().Count); // image samples or text samples
        Assert.Contains("MaxSamples", samples["description"]!.GetValue<string>());
        Assert.Contains("count 1..256 (MaxSamples)", samples["description"]!.GetValue<string>());
        Assert.Contains("(4096, MaxQueuedRowsPerModel) get 503 with Retry-After", samples["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task RequestSchemasNameBothKindsFieldsAndImagesAreRowsOfNumbers()
    {
        var schemas = (await Document())["components"]!["schemas"]!.AsObject();
        var samples = schemas["SamplesRequest"]!["properties"]!.AsObject();
        Assert.Equal(["count", "seed", "decode", "temperature"], samples.Select(p => p.Key));
        Assert.StartsWith("Image models only", samples["decode"]!["description"]!.GetValue<string>());
        Assert.StartsWith("Text models only", samples["temperature"]!["description"]!.GetValue<string>());
        var observations = schemas["ObservationsRequest"]!["properties"]!.AsObject();
        Assert.Equal(["images", "sentences", "seed"], observations.Select(p => p.Key));
        // images: null or a PixelRows, which is on the wire an array of rows of numbers.
        JsonNode rows = observations["images"]!;
        if (rows["oneOf"] is JsonArray choices) rows = choices.Single(c => c!["type"]?.ToJsonString() != "\"null\"")!;
        if (rows["$ref"] is JsonNode reference) rows = schemas[reference.GetValue<string>().Split('/')[^1]]!;
        Assert.StartsWith("Image models only", observations["images"]!["description"]?.GetValue<string>() ?? rows["description"]!.GetValue<string>());
        Assert.Equal("array", rows["type"]!.GetValue<string>());
        Assert.Equal("number", rows["items"]!["items"]!["type"]!.GetValue<string>());
        Assert.Equal("integer", samples["count"]!["type"]!.AsArray().Select(t => t!.GetValue<string>()).Single(t => t != "null")); // numbers, not strings
        Assert.DoesNotContain("row_length", JsonSerializer.Serialize(schemas));
    }
}
