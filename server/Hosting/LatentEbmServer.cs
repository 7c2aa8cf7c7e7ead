using System.Threading.RateLimiting;
using LatentEbm.Server.Endpoints;
using Microsoft.AspNetCore.RateLimiting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace LatentEbm.Server.Hosting;

/// <summary>Builds the inference service: the same application for <c>latent-ebm-server</c>, <c>./latent-ebm serve</c> and the tests.</summary>
public static class LatentEbmServer
{
    /// <summary>Creates the application (settings checked first, models loaded, routes mapped, not yet started).</summary>
    /// <exception cref="ArgumentException">Settings refused by <see cref="ServerOptions.Validate"/> (before anything loads or listens).</exception>
    /// <exception cref="DirectoryNotFoundException">No models folder.</exception>
    /// <exception cref="Inference.Bundles.BundleException">A damaged bundle.</exception>
    public static WebApplication Build(ServerOptions options, string[]? args = null)
    {
        options.Validate();
        var builder = WebApplication.CreateSlimBuilder(args ?? []);
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxBodyBytes);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddProblemDetails();
        builder.Services.AddLatentEbmApi(); // the /v1 request reader and the OpenAPI document
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(sp => new ServiceMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            () => sp.GetRequiredService<ModelRegistry>().Providers()));
        builder.Services.AddSingleton(sp => ModelRegistry.Load(options, sp.GetRequiredService<ILoggerFactory>().CreateLogger("LatentEbm.Models"), sp.GetRequiredService<ServiceMetrics>()));
        builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService("latent-ebm-server")).WithMetrics(m => m
            .AddMeter(ServiceMetrics.MeterName)
            .AddPrometheusExporter(p => p.ScrapeResponseCacheDurationMilliseconds = 0));
        builder.Services.ConfigureHttpJsonOptions(j =>
        {
            j.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            j.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict; // numbers are numbers (also in the OpenAPI schemas)
        });
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddConcurrencyLimiter(ModelEndpoints.ComputePolicy, c =>
            {
                c.PermitLimit = options.Concurrency;
                c.QueueLimit = options.QueueLimit;
                c.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            });
            limiter.OnRejected = async (context, ct) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                await Results.Problem("the request queue is full; retry after the Retry-After delay", statusCode: StatusCodes.Status429TooManyRequests,
                    title: "too many requests", type: "https://tools.ietf.org/html/rfc6585#section-4").ExecuteAsync(context.HttpContext);
            };
        });

        var app = builder.Build();
        app.Services.GetRequiredService<ModelRegistry>(); // load (and fail) at start-up, not on the first request
        app.UseExceptionHandler();
        // An answer with a status and no body (404 for an unknown path, 405 for a wrong method) becomes a problem document, whatever Accept says.
        app.UseStatusCodePages(context => TypedResults.Problem(statusCode: context.HttpContext.Response.StatusCode).ExecuteAsync(context.HttpContext));
        if (options.ApiKeyFile is string keyFile)
            app.UseMiddleware<ApiKeyMiddleware>(ApiKeyMiddleware.HashKeyFile(keyFile), options.ProtectMetrics);
        else if (ListenAddresses.BeyondLoopback(options.Urls) is [var open, ..])
            app.Logger.LogWarning("Serving without an API key on {Address} (--allow-anonymous): anyone who can reach it may use /v1/*", open);
        app.UseRateLimiter();
        app.MapMethods("/healthz", ["GET", "HEAD"], () => Results.Ok(new { status = "ok" }));
        app.MapMethods("/readyz", ["GET", "HEAD"], (ModelRegistry registry) => registry.Count > 0
            ? Results.Ok(new { status = "ready", models = registry.Count })
            : Results.Problem("no model is loaded", statusCode: StatusCodes.Status503ServiceUnavailable, title: "not ready"));
        app.MapOpenApi("/openapi/v1.json"); // the one document; another name is an ordinary 404
        app.MapLatentEbmApi();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.Lifetime.ApplicationStopping.Register(() => app.Logger.LogInformation("Shutting down: finishing requests in flight"));
        return app;
    }
}
