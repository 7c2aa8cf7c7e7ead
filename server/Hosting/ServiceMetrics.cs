using System.Diagnostics.Metrics;

namespace LatentEbm.Server.Hosting;

/// <summary>
/// The service's domain instruments (System.Diagnostics.Metrics, exported by OpenTelemetry as Prometheus text on
/// <c>/metrics</c>, next to ASP.NET Core's own HTTP metrics such as <c>http.server.request.duration</c>): Langevin
/// chain steps run, rows per micro-batch, the execution provider of each model, and the micro-batch queues' depth.
/// </summary>
public sealed class ServiceMetrics : IDisposable
{
    /// <summary>The meter name to export.</summary>
    public const string MeterName = "LatentEbm.Server";

    /// <summary>Bucket bounds of <c>latent_ebm_batch_rows</c>: powers of two, 1 ... <see cref="Inference.LatentEbmInference.MaxBatch"/> rows.</summary>
    public static IReadOnlyList<long> BatchRowBounds { get; } =
        [.. Enumerable.Range(0, 13).Select(i => 1L << i).TakeWhile(b => b <= Inference.LatentEbmInference.MaxBatch)];

    private readonly Meter meter;
    private readonly Counter<long> chainSteps;
    private readonly Histogram<long> batchRows;

    /// <summary>Creates the instruments.</summary>
    /// <param name="factory">The host's meter factory.</param>
    /// <param name="providers">(model, provider) pairs for the info gauge.</param>
    /// <param name="queues">(model, requests, rows) waiting in each image model's micro-batchers, for the queue gauges.</param>
    public ServiceMetrics(IMeterFactory factory, Func<IEnumerable<(string Model, string Provider)>> providers,
        Func<IEnumerable<(string Model, int Requests, int Rows)>> queues)
    {
        meter = factory.Create(MeterName);
        chainSteps = meter.CreateCounter<long>("latent_ebm_chain_steps", description: "Langevin steps run, per chain (prior or posterior), summed over graph runs");
        batchRows = meter.CreateHistogram<long>("latent_ebm_batch_rows", unit: "{row}", description: "Rows (images or samples) per micro-batch",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = BatchRowBounds });
        meter.CreateObservableGauge("latent_ebm_model_provider", () => providers().Select(p =>
            new Measurement<int>(1, new KeyValuePair<string, object?>("model", p.Model), new KeyValuePair<string, object?>("provider", p.Provider))),
            description: "1 per loaded model, labelled with its execution provider");
        meter.CreateObservableGauge("latent_ebm_queued_requests", () => queues().Select(q =>
            new Measurement<int>(q.Requests, new KeyValuePair<string, object?>("model", q.Model))),
            unit: "{request}", description: "Requests waiting in an image model's micro-batchers (queued, not yet running)");
        meter.CreateObservableGauge("latent_ebm_queued_rows", () => queues().Select(q =>
            new Measurement<int>(q.Rows, new KeyValuePair<string, object?>("model", q.Model))),
            unit: "{row}", description: "Rows (images or samples) of the requests waiting in an image model's micro-batchers");
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
