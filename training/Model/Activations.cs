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

    /// <summary>
    /// act(a) element-wise, and what <see cref="Backward"/> needs to multiply an upstream gradient by
    /// act'(a): <c>leaky_relu</c> (keeps a; act' is 1 or 0.2), <c>gelu</c> (Φ(a) + a φ(a), the exact erf
    /// form), <c>tanh</c> (1 - tanh²(a)), or null for the identity (nothing kept).
    /// </summary>
    /// <param name="name">Activation name or null.</param>
    /// <param name="a">Pre-activation, any shape.</param>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static (Tensor Value, Tensor? Saved) Forward(string? name, Tensor a)
    {
        switch (name)
        {
            case null:
                return (a, null);
            case "leaky_relu":
                return (nn.functional.leaky_relu(a, LeakySlope), a);
            case "gelu":
                var cdf = 0.5 * (1 + special.erf(a * Math.Sqrt(0.5)));
                var pdf = (a.square() * -0.5).exp() * (1 / Math.Sqrt(2 * Math.PI));
                return (a * cdf, cdf + a * pdf);
            case "tanh":
                var t = a.tanh();
                return (t, 1 - t.square());
            default:
                throw new ArgumentException($"unknown activation '{name}' (leaky_relu, gelu or tanh)");
        }
    }

    /// <summary>upstream ⊙ act'(a), from what <see cref="Forward"/> saved.</summary>
    public static Tensor Backward(string? name, Tensor upstream, Tensor? saved) => name switch
    {
        null => upstream,
        "leaky_relu" => where(saved!.gt(0), upstream, upstream * LeakySlope),
        _ => upstream * saved!,
    };
}
