using LatentEbm.Inference;
using LatentEbm.Inference.Bundles;
using LatentEbm.Server.Hosting;

namespace LatentEbm.Server.Batching;

/// <summary>
/// One micro-batcher per operation of one model, and for the posterior operations one per chain start (a batch runs one
/// chain: from the encoder's mean, or from noise); every batch is counted in <see cref="ServiceMetrics"/>. The rows of all
/// requests queued or running on the model are held to a budget (<see cref="ServerOptions.MaxQueuedRowsPerModel"/>): a
/// request it cannot hold throws <see cref="ModelBusyException"/> at once, before it is queued.
/// </summary>
public sealed class ModelBatchers : IAsyncDisposable
{
    private readonly MicroBatcher<SampleRequest, PriorSample> samples;
    private readonly Dictionary<PosteriorStartMode, MicroBatcher<ImageRequest, float[]>> latents = [];
    private readonly Dictionary<PosteriorStartMode, MicroBatcher<ImageRequest, float[]>> reconstructions = [];
    private readonly Dictionary<PosteriorStartMode, MicroBatcher<ImageRequest, float[]>> scores = [];

    /// <summary>Starts the batchers of <paramref name="model"/>; <paramref name="wait"/> zero disables batching.</summary>
    /// <param name="id">The model's id, for messages.</param>
    /// <param name="model">The model.</param>
    /// <param name="wait">How long a request waits for others to share its batch.</param>
    /// <param name="maxQueuedRows">The most rows queued or running at once.</param>
    /// <param name="metrics">Where batches are counted.</param>
    public ModelBatchers(string id, LatentEbmInference model, TimeSpan wait, int maxQueuedRows, ServiceMetrics? metrics = null)
    {
        Model = model;
        QueuedRows = new QueuedRows(id, maxQueuedRows);
        int priorSteps = model.Manifest.Files.First(f => f.Role == BundleRoles.PriorLangevin).Steps ?? 0;
        samples = new(r =>
        {
            var result = model.SamplePriorBatch(r);
            metrics?.Batch("prior", priorSteps, r.Sum(x => x.Count));
            return result;
        }, r => r.Count, LatentEbmInference.MaxBatch, wait);
        PosteriorStartMode[] starts = model.HasEncoder ? [PosteriorStartMode.Encoder, PosteriorStartMode.Noise] : [PosteriorStartMode.Noise];
        foreach (var start in starts)
        {
            var chain = new ChainSettings(Start: start);
            var (name, role) = start == PosteriorStartMode.Encoder ? ("amortised_posterior", BundleRoles.AmortisedPosterior) : ("posterior", BundleRoles.PosteriorLangevin);
            int steps = model.Manifest.Files.First(f => f.Role == role).Steps ?? 0;
            Func<IReadOnlyList<ImageRequest>, IReadOnlyList<float[]>> Posterior(Func<IReadOnlyList<ImageRequest>, IReadOnlyList<float[]>> run) => r =>
            {
                var result = run(r);
                metrics?.Batch(name, steps, r.Sum(x => x.Count));
                return result;
            };
            latents[start] = new(Posterior(r => model.InferLatentsBatch(r, chain)), r => r.Count, LatentEbmInference.MaxBatch, wait);
            reconstructions[start] = new(Posterior(r => model.ReconstructBatch(r, chain)), r => r.Count, LatentEbmInference.MaxBatch, wait);
            scores[start] = new(Posterior(r => model.ScoreBatch(r, chain)), r => r.Count, LatentEbmInference.MaxBatch, wait);
        }
    }

    /// <summary>The model.</summary>
    public LatentEbmInference Model { get; }

    /// <summary>Rows of the requests queued or running on the model, held to <see cref="ServerOptions.MaxQueuedRowsPerModel"/>.</summary>
    public QueuedRows QueuedRows { get; }

    /// <summary>Decoded prior samples.</summary>
    /// <exception cref="ModelBusyException">The model's queued rows cannot take <paramref name="r"/>'s now.</exception>
    public Task<PriorSample> Samples(SampleRequest r, CancellationToken ct) => QueuedRows.Run(r.Count, () => samples.Submit(r, ct));

    /// <summary>Posterior latents, the chain starting as <paramref name="start"/> says (<see cref="LatentEbmInference.ResolveStart"/>).</summary>
    /// <exception cref="ArgumentException"><see cref="PosteriorStartMode.Encoder"/> for a model without an encoder.</exception>
    /// <exception cref="ModelBusyException">The model's queued rows cannot take <paramref name="r"/>'s now.</exception>
    public Task<float[]> Latents(ImageRequest r, PosteriorStartMode start, CancellationToken ct) =>
        QueuedRows.Run(r.Count, () => latents[Model.ResolveStart(start)].Submit(r, ct));

    /// <summary>Reconstructions, the chain starting as <paramref name="start"/> says.</summary>
    /// <exception cref="ArgumentException"><see cref="PosteriorStartMode.Encoder"/> for a model without an encoder.</exception>
    /// <exception cref="ModelBusyException">The model's queued rows cannot take <paramref name="r"/>'s now.</exception>
    public Task<float[]> Reconstructions(ImageRequest r, PosteriorStartMode start, CancellationToken ct) =>
        QueuedRows.Run(r.Count, () => reconstructions[Model.ResolveStart(start)].Submit(r, ct));

    /// <summary>Anomaly scores, the chain starting as <paramref name="start"/> says.</summary>
    /// <exception cref="ArgumentException"><see cref="PosteriorStartMode.Encoder"/> for a model without an encoder.</exception>
    /// <exception cref="ModelBusyException">The model's queued rows cannot take <paramref name="r"/>'s now.</exception>
    public Task<float[]> Scores(ImageRequest r, PosteriorStartMode start, CancellationToken ct) =>
        QueuedRows.Run(r.Count, () => scores[Model.ResolveStart(start)].Submit(r, ct));

    /// <summary>Requests, and their rows, waiting in this model's batchers (queued, not yet running).</summary>
    public (int Requests, int Rows) Queued()
    {
        int requests = samples.QueuedRequests, rows = samples.QueuedRows;
        foreach (var batcher in latents.Values.Concat(reconstructions.Values).Concat(scores.Values))
        {
            requests += batcher.QueuedRequests;
            rows += batcher.QueuedRows;
        }
        return (requests, rows);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await samples.DisposeAsync();
        foreach (var batcher in latents.Values.Concat(reconstructions.Values).Concat(scores.Values)) await batcher.DisposeAsync();
    }
}
