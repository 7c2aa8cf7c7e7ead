using LatentEbm.Server.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LatentEbm.Server.Health;

/// <summary>
/// Readiness: healthy when at least one bundle (image or text) is loaded, unhealthy when none is (an empty or wrong
/// <c>--models</c> folder). Its data lists each bundle by id: kind (<c>image</c> or <c>text</c>), execution provider and status.
/// A damaged bundle stops the start instead (<see cref="ModelRegistry.Load"/>), so every bundle listed is loaded.
/// </summary>
public sealed class BundlesHealthCheck(ModelRegistry registry) : IHealthCheck
{
    /// <summary>The check's registration name.</summary>
    public const string Name = "bundles";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var bundles = registry.Providers().ToDictionary(p => p.Model,
            p => (object)new BundleStatus(registry.FindText(p.Model) is null ? "image" : "text", p.Provider, "loaded"));
        return Task.FromResult(bundles.Count > 0
            ? HealthCheckResult.Healthy($"{bundles.Count} bundle(s) loaded", bundles)
            : new HealthCheckResult(context.Registration.FailureStatus, "no model bundle is loaded: the models folder holds no bundle folder with a manifest.json", data: bundles));
    }
}

/// <summary>One bundle in the readiness answer.</summary>
/// <param name="Kind"><c>image</c> or <c>text</c>.</param>
/// <param name="Provider">Execution provider (<c>cpu</c> or <c>cuda</c>).</param>
/// <param name="Status"><c>loaded</c>.</param>
public sealed record BundleStatus(string Kind, string Provider, string Status);
