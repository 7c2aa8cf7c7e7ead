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

    /// <summary>
    /// q(z|x) when <see cref="TrainingConfig.PosteriorStart"/> is <c>encoder</c>, else null: the mirror of the generator
    /// (<see cref="Model.Encoder.Mlp"/> with <see cref="TrainingConfig.EncoderHidden"/>, or <see cref="Model.Encoder.Conv"/> with <see cref="TrainingConfig.Ngf"/>).
    /// </summary>
    public static Encoder? Encoder(TrainingConfig config)
    {
        if (!config.Amortised) return null;
        var o = config.Observation;
        return config.Generator switch
        {
            GeneratorKind.Mlp => Model.Encoder.Mlp(config.Nz, config.EncoderHidden, o.Channels, o.Height, o.Width),
            GeneratorKind.Conv => Model.Encoder.Conv(config.Nz, config.Ngf, o.Channels, o.Height, o.Width),
            _ => throw new ArgumentException($"unknown generator {config.Generator}"),
        };
    }

    /// <summary>
    /// The networks on <paramref name="device"/>, paired with sigma and sigma0; the model carries the encoder when the
    /// configuration has one (<see cref="LatentEbmModel.Encoder"/>). Built prior, generator, encoder in that order from
    /// torch's global generator.
    /// </summary>
    public static (PriorEnergyMlp Prior, nn.Module<Tensor, Tensor> Generator, LatentEbmModel Model) Create(TrainingConfig config, Device device)
    {
        var prior = Prior(config);
        var generator = Generator(config);
        var encoder = Encoder(config);
        prior.to(device);
        generator.to(device);
        encoder?.to(device);
        return (prior, generator, new LatentEbmModel(prior, generator, config.Nz, config.Sigma, config.Sigma0) { Encoder = encoder });
    }
}
