using LatentEbm.Inference;
using LatentEbm.Inference.Bundles;
using LatentEbm.Server.Hosting;

namespace LatentEbm.Server.Batching;

/// <summary>One micro-batcher per operation of one model; every batch is counted in <see cref="ServiceMetrics"/>.</summary>
public sealed class ModelBatchers : IAsyncDisposable
{
    private readonly MicroBatcher<SampleRequest, PriorSample> samples;
    private readonly MicroBatcher<ImageRequest, float[]> latents;
    private readonly MicroBatcher<ImageRequest, float[]> reconstructions;
    private readonly MicroBatcher<ImageRequest, float[]> scores;

    /// <summary>Starts the batchers of <paramref name="model"/>; <paramref name="wait"/> zero disables batching.</summary>
    public ModelBatchers(LatentEbmInference model, TimeSpan wait, ServiceMetrics? metrics = null)
    {
        Model = model;
        int priorSteps = model.Manifest.Files.First(f => f.Role == BundleRoles.PriorLangevin).Steps ?? 0;
        int posteriorSteps = model.Manifest.Files.First(f => f.Role == BundleRoles.PosteriorLangevin).Steps ?? 0;
        Func<IReadOnlyList<ImageRequest>, IReadOnlyList<float[]>> Posterior(Func<IReadOnlyList<ImageRequest>, IReadOnlyList<float[]>> run) => r =>
        {
            var result = run(r);
            metrics?.Batch("posterior", posteriorSteps, r.Sum(x => x.Count));
            return result;
        };
        samples = new(r =>
        {
            var result = model.SamplePriorBatch(r);
            metrics?.Batch("prior", priorSteps, r.Sum(x => x.Count));
            return result;
        }, r => r.Count, LatentEbmInference.MaxBatch, wait);
        latents = new(Posterior(r => model.InferLatentsBatch(r)), r => r.Count, LatentEbmInference.MaxBatch, wait);
        reconstructions = new(Posterior(r => model.ReconstructBatch(r)), r => r.Count, LatentEbmInference.MaxBatch, wait);
        scores = new(Posterior(r => model.ScoreBatch(r)), r => r.Count, LatentEbmInference.MaxBatch, wait);
    }

    /// <summary>The model.</summary>
    public LatentEbmInference Model { get; }

    /// <summary>Decoded prior samples.</summary>
    public Task<PriorSample> Samples(SampleRequest r, CancellationToken ct) => samples.Submit(r, ct);

    /// <summary>Posterior latents.</summary>
    public Task<float[]> Latents(ImageRequest r, CancellationToken ct) => latents.Submit(r, ct);

    /// <summary>Reconstructions.</summary>
    public Task<float[]> Reconstructions(ImageRequest r, CancellationToken ct) => reconstructions.Submit(r, ct);

    /// <summary>Anomaly scores.</summary>
    public Task<float[]> Scores(ImageRequest r, CancellationToken ct) => scores.Submit(r, ct);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await samples.DisposeAsync();
        await latents.DisposeAsync();
        await reconstructions.DisposeAsync();
        await scores.DisposeAsync();
    }
}
