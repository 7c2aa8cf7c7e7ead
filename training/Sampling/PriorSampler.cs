using LatentEbm.Training.Configuration;
using LatentEbm.Training.Model;
using static TorchSharp.torch;

namespace LatentEbm.Training.Sampling;

/// <summary>Draws latents from a trained prior as the configuration defines it.</summary>
public static class PriorSampler
{
    /// <summary>
    /// <paramref name="count"/> latents from the prior: the prior chain (K0 steps, s0, with noise) from
    /// N(0, sigma0^2 I), as in training (PAPER.md, "Learning", step 1); for a Gaussian prior
    /// (<see cref="TrainingConfig.Prior"/> <c>gaussian</c>), N(0, sigma0^2 I) itself.
    /// </summary>
    /// <param name="model">The model (networks on <paramref name="device"/>).</param>
    /// <param name="config">The run's settings (nz, sigma0, K0, s0, prior kind).</param>
    /// <param name="count">Number of samples.</param>
    /// <param name="rng">Generator of the starts and the chain noise.</param>
    /// <param name="device">Torch device.</param>
    /// <returns>z <c>[count, nz]</c>.</returns>
    public static Tensor Sample(LatentEbmModel model, TrainingConfig config, long count, Generator rng, Device device)
    {
        var z0 = randn([count, config.Nz], device: device, generator: rng) * config.Sigma0;
        if (config.GaussianPrior) return z0;
        using (z0) return LangevinSampler.PriorChain(model, z0, config.PriorSteps, config.PriorStepSize, new GaussianNoise(rng));
    }
}
