using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LatentEbm.Server.Hosting;

/// <summary>
/// The service's instruments (System.Diagnostics.Metrics, exported by OpenTelemetry as Prometheus
/// text on <c>/metrics</c>): requests by endpoint and status, request latency, Langevin chain steps
/// run, rows per micro-batch, and the execution provider of each model.
/// </summary>
public sealed class ServiceMetrics : IDisposable
{
    /// <summary>The meter name to export.</summary>
    public const string MeterName = "LatentEbm.Server";

    private readonly Meter meter;
    private readonly Counter<long> requests;
    private readonly Histogram<double> latency;
    private readonly Counter<long> chainSteps;
    private readonly Histogram<long> batchRows;

    /// <summary>Creates the instruments; <paramref name="providers"/> lists (model, provider) pairs for the info gauge.</summary>
    public ServiceMetrics(IMeterFactory factory, Func<IEnumerable<(string Model, string Provider)>> providers)
    {
        meter = factory.Create(MeterName);
        requests = meter.CreateCounter<long>("latent_ebm_requests", description: "HTTP requests to /v1 compute endpoints by endpoint, model and status code (429: refused by the full queue)");
        latency = meter.CreateHistogram<double>("latent_ebm_request_duration", unit: "s", description: "Latency of /v1 compute requests");
        chainSteps = meter.CreateCounter<long>("latent_ebm_chain_steps", description: "Langevin steps run, per chain (prior or posterior), summed over graph runs");
        batchRows = meter.CreateHistogram<long>("latent_ebm_batch_rows", description: "Rows (images or samples) per micro-batch");
        meter.CreateObservableGauge("latent_ebm_model_provider", () => providers().Select(p =>
            new Measurement<int>(1, new KeyValuePair<string, object?>("model", p.Model), new KeyValuePair<string, object?>("provider", p.Provider))),
            description: "1 per loaded model, labelled with its execution provider");
    }

    /// <summary>Counts one request and its latency (status 499: the client hung up).</summary>
    public void Request(string endpoint, string model, int status, double seconds)
    {
        requests.Add(1, new TagList { { "endpoint", endpoint }, { "model", model }, { "status", status } });
        latency.Record(seconds, new TagList { { "endpoint", endpoint }, { "model", model } });
    }

    /// <summary>Counts one graph run of a K-step chain over <paramref name="rows"/> rows.</summary>
    public void Batch(string chain, int steps, int rows)
    {
        chainSteps.Add(steps, new KeyValuePair<string, object?>("chain", chain));
        batchRows.Record(rows, new KeyValuePair<string, object?>("chain", chain));
    }

    /// <inheritdoc />
    public void Dispose() => meter.Dispose();
}
