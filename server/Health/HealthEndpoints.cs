using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LatentEbm.Server.Health;

/// <summary>
/// The health routes (ASP.NET Core health checks), open without the API key, GET and HEAD:
/// <c>/healthz</c> liveness (no checks: 200 while the process serves) and <c>/readyz</c> readiness
/// (<see cref="BundlesHealthCheck"/>: 200, or 503 when no bundle is loaded). Both answer JSON:
/// <c>{"status": "Healthy", "checks": {"bundles": {"status", "description", "data": {id: {kind, provider, status}}}}}</c>.
/// </summary>
public static class HealthEndpoints
{
    /// <summary>Tag of the checks that gate readiness.</summary>
    public const string ReadyTag = "ready";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Registers the health checks (<see cref="BundlesHealthCheck"/>, tagged <see cref="ReadyTag"/>).</summary>
    public static IServiceCollection AddServerHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<BundlesHealthCheck>(BundlesHealthCheck.Name, HealthStatus.Unhealthy, [ReadyTag]);
        return services;
    }

    /// <summary>Maps <c>/healthz</c> and <c>/readyz</c>.</summary>
    public static IEndpointRouteBuilder MapServerHealthChecks(this IEndpointRouteBuilder app)
    {
        string[] methods = [HttpMethods.Get, HttpMethods.Head];
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = Write })
            .WithMetadata(new HttpMethodMetadata(methods)).WithDisplayName("liveness");
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = Write })
            .WithMetadata(new HttpMethodMetadata(methods)).WithDisplayName("readiness");
        return app;
    }

    /// <summary>Writes <paramref name="report"/> as JSON: overall status, and each check's status, description and data.</summary>
    public static Task Write(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description, data = e.Value.Data }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
    }
}
