using static TorchSharp.torch;

namespace LatentEbm.Training.Model;

/// <summary>
/// The forward record of an MLP (<see cref="MlpLayers"/>) for its input gradient: the output and,
/// per layer, the activation's derivative at its pre-activation (null for the identity).
/// <see cref="Backward"/> returns u^T ∂out/∂input for an upstream u by the chain rule:
/// <c>d_i = (d_{i+1} ⊙ act_i'(a_i)) W_i</c>.
/// </summary>
/// <remarks>
/// Mixed precision: every layer's product and bias run in <see cref="MlpLayers.MatmulType"/>; the last
/// layer's pre-activation is then cast to the input's type, and its activation and everything the
/// caller sees (output, upstream, result) stay there. The output therefore carries the matrix type's
/// rounding (bfloat16: 8 significant bits), while residuals such as x - g(z) are formed in float32.
/// The tensors belong to the caller's dispose scope.
/// </remarks>
public sealed class InputVjpTape
{
    private readonly MlpLayers layers;
    private readonly Tensor?[] slopes;
    private readonly ScalarType outerType;

    private InputVjpTape(Tensor output, MlpLayers layers, Tensor?[] slopes, ScalarType outerType)
    {
        Output = output;
        this.layers = layers;
        this.slopes = slopes;
        this.outerType = outerType;
    }

    /// <summary>The network's output <c>[B, n_out]</c>, in the input's type.</summary>
    public Tensor Output { get; }

    /// <summary>Runs the MLP without autograd, recording each activation's derivative.</summary>
    /// <param name="layers">The layers.</param>
    /// <param name="input">Input <c>[B, n_in]</c>.</param>
    public static InputVjpTape Record(MlpLayers layers, Tensor input)
    {
        using var noGrad = no_grad();
        var slopes = new Tensor?[layers.Count];
        Tensor h = input.to(layers.MatmulType);
        for (int i = 0; i < layers.Count; i++)
        {
            var a = nn.functional.linear(h, layers.Weight(i), layers.Bias(i));
            if (i == layers.Count - 1) a = a.to(input.dtype);
            (h, slopes[i]) = Activations.WithDerivative(layers.Activation(i), a);
        }
        return new InputVjpTape(h, layers, slopes, input.dtype);
    }

    /// <summary>u^T ∂out/∂input.</summary>
    /// <param name="upstream">u <c>[B, n_out]</c>, in the input's type.</param>
    /// <returns><c>[B, n_in]</c>, in the input's type.</returns>
    public Tensor Backward(Tensor upstream)
    {
        using var noGrad = no_grad();
        Tensor d = upstream;
        for (int i = layers.Count - 1; i >= 0; i--)
        {
            if (slopes[i] is Tensor slope) d = d * slope;
            d = d.to(layers.MatmulType).mm(layers.Weight(i));
        }
        return d.to(outerType);
    }
}
