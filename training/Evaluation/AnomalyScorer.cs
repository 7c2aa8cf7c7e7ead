using LatentEbm.Data.Datasets;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Model;
using LatentEbm.Training.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Evaluation;

/// <summary>
/// Scores images for anomaly with a trained model: per batch, a test-time posterior Langevin chain
/// from z ~ N(0, sigma0^2 I) (<see cref="AnomalyScoreConfig.Steps"/> steps) or, when the model has an encoder, from
/// its mean mu(x) (<see cref="AnomalyScoreConfig.EncoderSteps"/> steps), with the step size and noise of
/// <see cref="AnomalyScoreConfig"/>; then the terms of <see cref="ScoreTerms"/> at the chain's end point.
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
        model.Encoder?.eval();
        using var rng = new torch.Generator((ulong)seed, device);
        var noise = settings.Noise ? new GaussianNoise(rng) : null;
        for (int start = 0; start < n; start += settings.BatchSize)
        {
            int count = Math.Min(settings.BatchSize, n - start);
            using var scope = NewDisposeScope();
            var x = tensor(images.Pixels.AsSpan(start * images.PixelsPerImage, count * images.PixelsPerImage).ToArray(),
                [count, images.Channels, images.Height, images.Width]).to(device);
            var z = PosteriorSample(model, x, settings, rng, noise);
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

    /// <summary>
    /// The test-time posterior sample of <paramref name="x"/> <c>[B, C, H, W]</c>: from the encoder's mean when the model has
    /// one (<see cref="AnomalyScoreConfig.EncoderSteps"/> steps), else from z ~ N(0, sigma0² I) drawn from <paramref name="rng"/>
    /// (<see cref="AnomalyScoreConfig.Steps"/> steps).
    /// </summary>
    /// <returns>z <c>[B, nz]</c>, detached.</returns>
    public static Tensor PosteriorSample(LatentEbmModel model, Tensor x, AnomalyScoreConfig settings, torch.Generator rng, INoiseSource? noise)
    {
        if (model.Encoder is { } encoder)
        {
            using var start = encoder.Mean(x);
            return LangevinSampler.PosteriorChain(model, x, start, settings.EncoderSteps, settings.StepSize, noise);
        }
        var z0 = randn([x.shape[0], model.Nz], device: x.device, generator: rng) * model.Sigma0;
        return LangevinSampler.PosteriorChain(model, x, z0, settings.Steps, settings.StepSize, noise);
    }
}
