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
    public static InputVjpTape Record(MlpLayers layers, Tensor input) => Record(layers, input, layers.Count);

    /// <summary>Runs the first <paramref name="count"/> layers; <see cref="Backward"/> then differentiates through those.</summary>
    private static InputVjpTape Record(MlpLayers layers, Tensor input, int count)
    {
        using var noGrad = no_grad();
        var slopes = new Tensor?[count];
        Tensor h = input.dtype == layers.MatmulType ? input : input.to(layers.MatmulType);
        for (int i = 0; i < count; i++)
        {
            var a = nn.functional.linear(h, layers.Weight(i), layers.Bias(i));
            if (i == layers.Count - 1 && a.dtype != input.dtype) a = a.to(input.dtype);
            (h, slopes[i]) = Activations.Forward(layers.Activation(i), a);
        }
        return new InputVjpTape(h, layers, slopes, input.dtype);
    }

    /// <summary>
    /// ∇_input Σ_rows out for an MLP with one output per row whose last layer has no activation: the
    /// VJP of that layer with upstream 1 is its weight row, so the layer itself is never run (the row
    /// broadcasts over the batch in the activation's VJP below it).
    /// </summary>
    /// <param name="layers">The layers; the last is <c>Linear(h, 1)</c> without activation, after an activation.</param>
    /// <param name="input">Input <c>[B, n_in]</c>.</param>
    /// <returns><c>[B, n_in]</c>, in the input's type.</returns>
    /// <exception cref="ArgumentException">The network does not end that way.</exception>
    public static Tensor GradientOfSum(MlpLayers layers, Tensor input)
    {
        if (!SupportsGradientOfSum(layers)) throw new ArgumentException("GradientOfSum needs an MLP ending in an activation and then Linear(h, 1)");
        int last = layers.Count - 1;
        return Record(layers, input, last).Backward(layers.Weight(last));
    }

    /// <summary>Whether <see cref="GradientOfSum"/> applies: an activation, then a last <c>Linear(h, 1)</c> without one.</summary>
    public static bool SupportsGradientOfSum(MlpLayers layers)
    {
        int last = layers.Count - 1;
        return last >= 1 && layers.Weight(last).shape[0] == 1 && layers.Activation(last) is null && layers.Activation(last - 1) is not null;
    }

    /// <summary>u^T ∂out/∂input, through the recorded layers.</summary>
    /// <param name="upstream">u <c>[B, n_out]</c> (or one row that broadcasts over the batch), in the input's type.</param>
    /// <returns><c>[B, n_in]</c>, in the input's type.</returns>
    public Tensor Backward(Tensor upstream)
    {
        using var noGrad = no_grad();
        Tensor d = upstream;
        for (int i = slopes.Length - 1; i >= 0; i--)
        {
            d = Activations.Backward(layers.Activation(i), d, slopes[i]);
            if (d.dtype != layers.MatmulType) d = d.to(layers.MatmulType);
            d = d.mm(layers.Weight(i));
        }
        return d.dtype == outerType ? d : d.to(outerType);
    }
}
