using System.Threading.RateLimiting;
using LatentEbm.Server.Endpoints;
using LatentEbm.Server.Health;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace LatentEbm.Server.Hosting;

/// <summary>Builds the inference service: the same application for <c>latent-ebm-server</c>, <c>./latent-ebm serve</c> and the tests.</summary>
public static class LatentEbmServer
{
    /// <summary>
    /// Creates the application from exactly <paramref name="options"/> (tests, benchmarks): every option is added as the
    /// last configuration source, so nothing in appsettings.json or the environment changes it, and it is bound and
    /// checked as a command line's options are (<see cref="Build(string[], IEnumerable{KeyValuePair{string, string}})"/>).
    /// </summary>
    /// <exception cref="OptionsValidationException">Settings refused by <see cref="ServerOptionsValidator"/> (before anything loads or listens).</exception>
    /// <exception cref="DirectoryNotFoundException">No models folder.</exception>
    /// <exception cref="Inference.Bundles.BundleException">A damaged bundle.</exception>
    public static WebApplication Build(ServerOptions options, string[]? args = null) => Build(args ?? [], options.ToConfiguration());

    /// <summary>
    /// Creates the application (settings bound and checked first, models loaded, routes mapped, not yet started).
    /// <see cref="ServerOptions"/> comes from the configuration section <c>Server</c> of the host's sources
    /// (appsettings.json, environment variables such as <c>Server__Concurrency</c>, <paramref name="hostArgs"/>), then
    /// <paramref name="overrides"/> (e.g. the flags given on the command line, <c>Server:Concurrency</c> = <c>"8"</c>), which win.
    /// </summary>
    /// <exception cref="OptionsValidationException">Settings refused by <see cref="ServerOptionsValidator"/>: each failure names the option.</exception>
    /// <exception cref="InvalidOperationException">A configuration value of the wrong type, or a key under <c>Server</c> that names no option.</exception>
    /// <exception cref="DirectoryNotFoundException">No models folder.</exception>
    /// <exception cref="Inference.Bundles.BundleException">A damaged bundle.</exception>
    public static WebApplication Build(string[] hostArgs, IEnumerable<KeyValuePair<string, string?>> overrides)
    {
        var builder = WebApplication.CreateSlimBuilder(hostArgs);
        builder.Configuration.AddInMemoryCollection(overrides);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddServerOptions();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<ServerOptions>((kestrel, options) =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            // A body arriving slower than this, after a 5 s grace, is cut with 408: a stalled upload holds nothing for long.
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(options.MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(5));
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddLatentEbmApi(); // the /v1 request reader and the OpenAPI document
        builder.Services.AddSingleton(sp => new RequestBodyBudget(sp.GetRequiredService<ServerOptions>().RequestBytesInFlight));
        builder.Services.AddSingleton(sp => new ServiceMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            () => sp.GetRequiredService<ModelRegistry>().Providers(), () => sp.GetRequiredService<ModelRegistry>().Queues()));
        builder.Services.AddSingleton(sp => ModelRegistry.Load(sp.GetRequiredService<ServerOptions>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("LatentEbm.Models"), sp.GetRequiredService<ServiceMetrics>()));
        builder.Services.AddServerHealthChecks();
        // ASP.NET Core's own HTTP metrics (http.server.request.duration in seconds, with OpenTelemetry's bucket bounds
        // 0.005 ... 10 s; Kestrel's connections; the rate limiter's queue and rejections) beside the domain instruments.
        builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService("latent-ebm-server")).WithMetrics(m => m
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.RateLimiting")
            .AddMeter(ServiceMetrics.MeterName)
            .AddPrometheusExporter(p => p.ScrapeResponseCacheDurationMilliseconds = 0));
        builder.Services.ConfigureHttpJsonOptions(j =>
        {
            j.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            j.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict; // numbers are numbers (also in the OpenAPI schemas)
        });
        builder.Services.AddRateLimiter(limiter => limiter.OnRejected = async (context, ct) =>
        {
            context.HttpContext.Response.Headers.RetryAfter = "1";
            await Results.Problem("the request queue is full; retry after the Retry-After delay", statusCode: StatusCodes.Status429TooManyRequests,
                title: "too many requests", type: "https://tools.ietf.org/html/rfc6585#section-4").ExecuteAsync(context.HttpContext);
        });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<ServerOptions>((limiter, options) =>
            limiter.AddConcurrencyLimiter(ModelEndpoints.ComputePolicy, c =>
            {
                c.PermitLimit = options.Concurrency;
                c.QueueLimit = options.QueueLimit;
                c.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            }));

        var app = builder.Build();
        var settings = app.Services.GetRequiredService<ServerOptions>(); // bind and check before anything loads or listens
        app.Services.GetRequiredService<ModelRegistry>(); // load (and fail) at start-up, not on the first request
        foreach (var url in settings.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) app.Urls.Add(url);
        app.UseExceptionHandler();
        app.UseMiddleware<WholeAnswerMiddleware>(); // a replica that dies sends an answer whole or not at all (a proxy can retry the latter)
        // An answer with a status and no body (404 for an unknown path, 405 for a wrong method) becomes a problem document, whatever Accept says.
        app.UseStatusCodePages(context => TypedResults.Problem(statusCode: context.HttpContext.Response.StatusCode).ExecuteAsync(context.HttpContext));
        if (settings.ApiKeyFile is string keyFile)
            app.UseMiddleware<ApiKeyMiddleware>(ApiKeyMiddleware.HashKeyFile(keyFile), settings.ProtectMetrics);
        else if (ListenAddresses.BeyondLoopback(settings.Urls) is [var open, ..])
            app.Logger.LogWarning("Serving without an API key on {Address} (--allow-anonymous): anyone who can reach it may use /v1/*", open);
        app.UseRateLimiter();
        app.UseMiddleware<RequestBodyBudgetMiddleware>();
        app.MapServerHealthChecks();
        app.MapOpenApi("/openapi/v1.json"); // the one document; another name is an ordinary 404
        app.MapLatentEbmApi();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.Lifetime.ApplicationStopping.Register(() => app.Logger.LogInformation("Shutting down: finishing requests in flight"));
        return app;
    }
}
