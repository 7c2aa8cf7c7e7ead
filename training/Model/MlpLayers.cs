using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LatentEbm.Training.Model;

/// <summary>
/// The layers of an MLP <c>h_{i+1} = act_i(h_i W_i^T + b_i)</c> as used by the hand-written input
/// VJP: weights and biases in the type of the matrix products, and the activation after each layer
/// (<see cref="Activations.Forward"/> names, or null for none). Disposes the weight copies it
/// owns (none when the matrix type is the parameters' own).
/// </summary>
public sealed class MlpLayers : IDisposable
{
    private readonly Tensor[] weights;
    private readonly Tensor?[] biases;
    private readonly string?[] activations;
    private readonly bool ownsCopies;

    /// <summary>Takes the layers of <paramref name="linears"/>, cast to <paramref name="matmulType"/>.</summary>
    /// <param name="linears">Linear layers, input side first.</param>
    /// <param name="activations">Activation after each layer (same count).</param>
    /// <param name="matmulType">Type of the matrix products.</param>
    public MlpLayers(IReadOnlyList<Linear> linears, IReadOnlyList<string?> activations, ScalarType matmulType)
    {
        if (activations.Count != linears.Count) throw new ArgumentException("one activation per layer");
        ownsCopies = linears[0].weight!.dtype != matmulType;
        using var noGrad = no_grad();
        weights = [.. linears.Select(l => ownsCopies ? l.weight!.detach().to(matmulType) : l.weight!)];
        biases = [.. linears.Select(l => l.bias is null ? null : ownsCopies ? l.bias.detach().to(matmulType) : l.bias)];
        this.activations = [.. activations];
        MatmulType = matmulType;
    }

    /// <summary>Type of the matrix products.</summary>
    public ScalarType MatmulType { get; }

    /// <summary>Number of layers.</summary>
    public int Count => weights.Length;

    /// <summary>Weight <c>[n_out, n_in]</c> of layer i.</summary>
    public Tensor Weight(int i) => weights[i];

    /// <summary>Bias <c>[n_out]</c> of layer i, or null.</summary>
    public Tensor? Bias(int i) => biases[i];

    /// <summary>Activation name after layer i, or null.</summary>
    public string? Activation(int i) => activations[i];

    /// <summary>Runs the MLP on <paramref name="input"/> <c>[B, n_in]</c> and records the tape for its input VJP.</summary>
    public InputVjpTape Forward(Tensor input) => InputVjpTape.Record(this, input);

    /// <inheritdoc />
    public void Dispose()
    {
        if (!ownsCopies) return;
        foreach (var w in weights) w.Dispose();
        foreach (var b in biases) b?.Dispose();
    }
}
