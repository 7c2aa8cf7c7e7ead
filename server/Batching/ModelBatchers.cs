using LatentEbm.Inference;

namespace LatentEbm.Server.Batching;

/// <summary>One micro-batcher per operation of one model.</summary>
public sealed class ModelBatchers(LatentEbmInference model, TimeSpan wait) : IAsyncDisposable
{
    private readonly MicroBatcher<SampleRequest, PriorSample> samples =
        new(r => model.SamplePriorBatch(r), r => r.Count, LatentEbmInference.MaxBatch, wait);
    private readonly MicroBatcher<ImageRequest, float[]> latents =
        new(r => model.InferLatentsBatch(r), r => r.Count, LatentEbmInference.MaxBatch, wait);
    private readonly MicroBatcher<ImageRequest, float[]> reconstructions =
        new(r => model.ReconstructBatch(r), r => r.Count, LatentEbmInference.MaxBatch, wait);
    private readonly MicroBatcher<ImageRequest, float[]> scores =
        new(r => model.ScoreBatch(r), r => r.Count, LatentEbmInference.MaxBatch, wait);

    /// <summary>The model.</summary>
    public LatentEbmInference Model { get; } = model;

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
