using static TorchSharp.torch;

namespace LatentEbm.Training.Sampling;

/// <summary>The standard normal draws eps ~ N(0, I) of a Langevin chain, one tensor per step.</summary>
public interface INoiseSource
{
    /// <summary>A fresh standard-normal tensor of <paramref name="like"/>'s shape, dtype and device.</summary>
    Tensor Next(Tensor like);
}

/// <summary>Draws from a seeded torch generator, so chains are reproducible and their state can be checkpointed.</summary>
public sealed class GaussianNoise(Generator generator) : INoiseSource
{
    /// <summary>The generator the draws come from.</summary>
    public Generator Generator { get; } = generator;

    /// <inheritdoc />
    public Tensor Next(Tensor like) => randn(like.shape, dtype: like.dtype, device: like.device, generator: Generator);
}

/// <summary>Replays given noise <c>[K, B, nz]</c> step by step (tests against reference chains, exported graphs).</summary>
public sealed class ScriptedNoise(Tensor noise) : INoiseSource
{
    private long step;

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">More steps were asked for than the script holds.</exception>
    public Tensor Next(Tensor like)
    {
        if (step >= noise.shape[0])
            throw new InvalidOperationException($"scripted noise holds {noise.shape[0]} steps; step {step + 1} was asked for");
        return noise[step++].to(like.dtype, like.device);
    }
}
