using LatentEbm.Training.Configuration;
using TorchSharp;

namespace LatentEbm.Training.Model;

/// <summary>Builds the networks a configuration describes (PyTorch default initialisation from torch's global generator).</summary>
public static class ModelFactory
{
    /// <summary>Image size of the MNIST-family datasets.</summary>
    public const int ImageSize = 28;

    /// <summary>f_alpha: nz → h → h → 1.</summary>
    public static PriorEnergyMlp Prior(TrainingConfig config) =>
        new([config.Nz, config.PriorHidden, config.PriorHidden, 1], config.PriorActivation);

    /// <summary>g_theta: nz → hidden... → 1 x height x width.</summary>
    public static MlpGenerator Generator(TrainingConfig config, int height = ImageSize, int width = ImageSize) =>
        new(config.Nz, config.GeneratorHidden, 1, height, width);

    /// <summary>Both networks on <paramref name="device"/>, paired with sigma and sigma0.</summary>
    public static (PriorEnergyMlp Prior, MlpGenerator Generator, LatentEbmModel Model) Create(TrainingConfig config, torch.Device device, int height = ImageSize, int width = ImageSize)
    {
        var prior = Prior(config);
        var generator = Generator(config, height, width);
        prior.to(device);
        generator.to(device);
        return (prior, generator, new LatentEbmModel(prior, generator, config.Nz, config.Sigma, config.Sigma0));
    }
}
