using LatentEbm.Data.Datasets;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Model;
using LatentEbm.Training.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Evaluation;

/// <summary>
/// Scores images for anomaly with a trained model: per batch, a test-time posterior Langevin chain
/// from z ~ N(0, sigma0^2 I) (its length, step size and noise from <see cref="AnomalyScoreConfig"/>),
/// then the terms of <see cref="ScoreTerms"/> at the chain's end point.
/// </summary>
public static class AnomalyScorer
{
    /// <summary>Computes the score terms of every image.</summary>
    /// <param name="model">The trained model (networks on <paramref name="device"/>).</param>
    /// <param name="images">Images <c>[N, 1, H, W]</c> in [-1, 1].</param>
    /// <param name="settings">Test-time chain settings.</param>
    /// <param name="seed">Seed of the chains' starts and noise (reproducible scores).</param>
    /// <param name="device">Torch device of the model.</param>
    /// <param name="onBatch">Called with the number of images scored so far.</param>
    public static ScoreTerms Score(LatentEbmModel model, LabeledImages images, AnomalyScoreConfig settings, int seed, Device device, Action<int>? onBatch = null)
    {
        settings.Validate();
        int n = images.Count;
        var squaredError = new double[n];
        var f = new double[n];
        var zNorm = new double[n];
        model.Prior.eval();
        model.Generator.eval();
        using var rng = new torch.Generator((ulong)seed, device);
        var noise = settings.Noise ? new GaussianNoise(rng) : null;
        for (int start = 0; start < n; start += settings.BatchSize)
        {
            int count = Math.Min(settings.BatchSize, n - start);
            using var scope = NewDisposeScope();
            var x = tensor(images.Pixels.AsSpan(start * images.PixelsPerImage, count * images.PixelsPerImage).ToArray(),
                [count, images.Channels, images.Height, images.Width]).to(device);
            var z0 = randn([count, model.Nz], device: device, generator: rng) * model.Sigma0;
            var z = LangevinSampler.PosteriorChain(model, x, z0, settings.Steps, settings.StepSize, noise);
            using (no_grad())
            {
                var se = (x - model.Generator.forward(z)).square().flatten(1).sum(1).to(float64).cpu();
                var fz = model.Prior.forward(z).to(float64).cpu();
                var zz = z.square().sum(1).to(float64).cpu();
                se.data<double>().CopyTo(squaredError.AsSpan(start, count));
                fz.data<double>().CopyTo(f.AsSpan(start, count));
                zz.data<double>().CopyTo(zNorm.AsSpan(start, count));
            }
            onBatch?.Invoke(start + count);
        }
        return new ScoreTerms(squaredError, f, zNorm);
    }
}
