namespace LatentEbm.Onnx.Layers;

/// <summary>
/// A sequential network of <see cref="Layer"/>s with a fixed input shape (batch symbolic), that
/// emits its forward pass and, from it, its vector-Jacobian product layer by layer (reverse mode).
/// </summary>
public sealed class Network
{
    /// <summary>Checks that every layer accepts its predecessor's output.</summary>
    /// <param name="layers">Layers, input side first.</param>
    /// <param name="inputShape">Input shape without the batch dimension, e.g. <c>[16]</c>.</param>
    /// <exception cref="OnnxExportException">A layer does not accept its input shape.</exception>
    public Network(IReadOnlyList<Layer> layers, long[] inputShape)
    {
        if (layers.Count == 0) throw new OnnxExportException("a network needs at least one layer");
        Layers = layers;
        InputShape = [-1, .. inputShape];
        long[] shape = InputShape;
        foreach (var layer in layers) shape = layer.OutputShape(shape);
        OutputShape = shape;
    }

    /// <summary>Layers, input side first.</summary>
    public IReadOnlyList<Layer> Layers { get; }

    /// <summary>Input shape with -1 for the batch.</summary>
    public long[] InputShape { get; }

    /// <summary>Output shape with -1 for the batch.</summary>
    public long[] OutputShape { get; }

    /// <summary>Emits the forward pass; returns every activation, the input first and the output last.</summary>
    public IReadOnlyList<OnnxValue> Forward(GraphBuilder g, OnnxValue x)
    {
        var activations = new List<OnnxValue> { x };
        foreach (var layer in Layers) activations.Add(layer.Forward(g, activations[^1]));
        return activations;
    }

    /// <summary>Emits dx = Jᵀ dy through every layer, given the activations of <see cref="Forward"/>.</summary>
    public OnnxValue Backward(GraphBuilder g, IReadOnlyList<OnnxValue> activations, OnnxValue dy)
    {
        for (int i = Layers.Count - 1; i >= 0; i--)
            dy = Layers[i].Backward(g, activations[i], activations[i + 1], dy);
        return dy;
    }

    /// <summary>
    /// Emits ∇_x Σ_rows y for a network with one output per row (<c>[B, 1]</c>), i.e. dx = Jᵀ 1.
    /// When the last layer is <c>Linear(in, 1)</c> after an activation, its VJP with upstream 1 is its
    /// weight row, a constant: the last layer's forward pass and matrix product are not emitted, and the
    /// row broadcasts over the batch in the activation's VJP. Otherwise the full forward and backward.
    /// </summary>
    /// <exception cref="OnnxExportException">The network does not have one output per row.</exception>
    public OnnxValue GradientOfSum(GraphBuilder g, OnnxValue x)
    {
        if (OutputShape is not [_, 1]) throw new OnnxExportException($"GradientOfSum needs one output per row, not [{string.Join(", ", OutputShape)}]");
        if (Layers.Count >= 2 && Layers[^1] is Linear last && Layers[^2] is Activation)
        {
            var activations = new List<OnnxValue> { x };
            for (int i = 0; i < Layers.Count - 1; i++) activations.Add(Layers[i].Forward(g, activations[^1]));
            OnnxValue dy = g.Weight("linear_weight", last.Weight, [1, last.In]);
            for (int i = Layers.Count - 2; i >= 0; i--)
                dy = Layers[i].Backward(g, activations[i], activations[i + 1], dy);
            return dy;
        }
        var all = Forward(g, x);
        return Backward(g, all, g.OnesLike(all[^1]));
    }

    /// <summary>A short description for model cards, e.g. <c>Linear(16, 200) → LeakyReLU(0.2) → ...</c>.</summary>
    public string Describe() => string.Join(" → ", Layers.Select(l => l.Describe()));
}
