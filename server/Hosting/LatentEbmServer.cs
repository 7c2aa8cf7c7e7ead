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
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new RequestBodyBudget(options.MaxRequestBytesInFlight));
        builder.Services.AddSingleton(sp => new ServiceMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            () => sp.GetRequiredService<ModelRegistry>().Providers()));
        builder.Services.AddSingleton(sp => ModelRegistry.Load(options, sp.GetRequiredService<ILoggerFactory>().CreateLogger("LatentEbm.Models"), sp.GetRequiredService<ServiceMetrics>()));
        builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService("latent-ebm-server")).WithMetrics(m => m
            .AddMeter(ServiceMetrics.MeterName)
            .AddPrometheusExporter(p => p.ScrapeResponseCacheDurationMilliseconds = 0));
        builder.Services.ConfigureHttpJsonOptions(j => j.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
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
                var route = context.HttpContext.Request.RouteValues;
                context.HttpContext.RequestServices.GetRequiredService<ServiceMetrics>().Request(
                    context.HttpContext.Request.Path.Value?.Split('/')[^1].ToLowerInvariant() ?? "", route["id"]?.ToString() ?? "", StatusCodes.Status429TooManyRequests, 0);
                context.HttpContext.Response.Headers.RetryAfter = "1";
                await Results.Problem("the request queue is full; retry after the Retry-After delay", statusCode: StatusCodes.Status429TooManyRequests,
                    title: "too many requests", type: "https://tools.ietf.org/html/rfc6585#section-4").ExecuteAsync(context.HttpContext);
            };
        });

        var app = builder.Build();
        app.Services.GetRequiredService<ModelRegistry>(); // load (and fail) at start-up, not on the first request
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (options.ApiKeyFile is string keyFile)
            app.UseMiddleware<ApiKeyMiddleware>(ApiKeyMiddleware.HashKeyFile(keyFile), options.ProtectMetrics);
        else if (ListenAddresses.BeyondLoopback(options.Urls) is [var open, ..])
            app.Logger.LogWarning("Serving without an API key on {Address} (--allow-anonymous): anyone who can reach it may use /v1/*", open);
        app.UseRateLimiter();
        app.UseMiddleware<RequestBodyBudgetMiddleware>();
        app.MapMethods("/healthz", ["GET", "HEAD"], () => Results.Ok(new { status = "ok" }));
        app.MapMethods("/readyz", ["GET", "HEAD"], (ModelRegistry registry) => registry.Count > 0
            ? Results.Ok(new { status = "ready", models = registry.Count })
            : Results.Problem("no model is loaded", statusCode: StatusCodes.Status503ServiceUnavailable, title: "not ready"));
        ModelEndpoints.Map(app);
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.Lifetime.ApplicationStopping.Register(() => app.Logger.LogInformation("Shutting down: finishing requests in flight"));
        return app;
    }
}
