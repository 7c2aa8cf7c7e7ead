using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Model;

/// <summary>Activation functions by their configuration names.</summary>
public static class Activations
{
    /// <summary>Slope of LeakyReLU for negative inputs, 0.2 everywhere in the paper's code.</summary>
    public const double LeakySlope = 0.2;

    /// <summary>
    /// A module for <paramref name="name"/>: <c>leaky_relu</c> (slope 0.2) or <c>gelu</c>
    /// (the exact erf form, as PyTorch's default).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static nn.Module<Tensor, Tensor> Create(string name) => name switch
    {
        "leaky_relu" => nn.LeakyReLU(LeakySlope),
        "gelu" => nn.GELU(),
        _ => throw new ArgumentException($"unknown activation '{name}' (leaky_relu or gelu)"),
    };
}
