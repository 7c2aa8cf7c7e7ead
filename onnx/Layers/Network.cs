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

    /// <summary>A short description for model cards, e.g. <c>Linear(16, 200) → LeakyReLU(0.2) → ...</c>.</summary>
    public string Describe() => string.Join(" → ", Layers.Select(l => l.Describe()));
}
