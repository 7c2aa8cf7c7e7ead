using LatentEbm.Data.Sources;
using LatentEbm.Training.Configuration;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Model;

/// <summary>Builds the networks a configuration describes (initialised from torch's global generator).</summary>
public static class ModelFactory
{
    /// <summary>f_alpha: nz → h → h → 1 (PyTorch's default initialisation).</summary>
    public static PriorEnergyMlp Prior(TrainingConfig config) =>
        new([config.Nz, config.PriorHidden, config.PriorHidden, 1], SettingNames.Of(config.PriorActivation));

    /// <summary>g_theta by <see cref="TrainingConfig.Generator"/>: nz → <see cref="TrainingConfig.Observation"/>'s <c>[C, H, W]</c>.</summary>
    /// <exception cref="ArgumentException">The conv generator cannot make the observation's size.</exception>
    public static nn.Module<Tensor, Tensor> Generator(TrainingConfig config)
    {
        var o = config.Observation;
        return config.Generator switch
        {
            GeneratorKind.Mlp => new MlpGenerator(config.Nz, config.GeneratorHidden, o.Channels, o.Height, o.Width),
            GeneratorKind.Conv => new ConvGenerator(config.Nz, config.Ngf, o.Channels, o.Height, o.Width),
            _ => throw new ArgumentException($"unknown generator {config.Generator}"),
        };
    }

    /// <summary>Both networks on <paramref name="device"/>, paired with sigma and sigma0.</summary>
    public static (PriorEnergyMlp Prior, nn.Module<Tensor, Tensor> Generator, LatentEbmModel Model) Create(TrainingConfig config, Device device)
    {
        var prior = Prior(config);
        var generator = Generator(config);
        prior.to(device);
        generator.to(device);
        return (prior, generator, new LatentEbmModel(prior, generator, config.Nz, config.Sigma, config.Sigma0));
    }
}
