namespace LatentEbm.Onnx.Layers;

/// <summary>
/// One layer of a network to export: its forward pass and its vector-Jacobian product (VJP) with
/// respect to its input, both emitted as ONNX nodes. Weights are plain float32 arrays in PyTorch's
/// layouts. Gradient graphs of whole networks are derived from these, never written per model.
/// </summary>
public abstract class Layer
{
    /// <summary>The layer's name in errors and model cards, e.g. <c>Linear(16, 400)</c>.</summary>
    public abstract string Describe();

    /// <summary>The output shape for an input of <paramref name="input"/> (-1 = batch).</summary>
    /// <exception cref="OnnxExportException">The input shape does not fit the layer.</exception>
    public abstract long[] OutputShape(long[] input);

    /// <summary>Emits y = layer(x).</summary>
    public abstract OnnxValue Forward(GraphBuilder g, OnnxValue x);

    /// <summary>Emits the VJP dx = (∂y/∂x)ᵀ dy, given the forward pass's input x and output y.</summary>
    public abstract OnnxValue Backward(GraphBuilder g, OnnxValue x, OnnxValue y, OnnxValue dy);

    /// <summary>Throws unless <paramref name="input"/> has the expected rank and non-batch dims.</summary>
    protected void Expect(long[] input, params long[] shape)
    {
        bool ok = input.Length == shape.Length;
        for (int i = 0; ok && i < shape.Length; i++) ok = shape[i] < 0 || input[i] == shape[i];
        if (!ok)
            throw new OnnxExportException($"{Describe()} expects input [{string.Join(", ", shape.Select(d => d < 0 ? "B" : d.ToString()))}], got [{string.Join(", ", input.Select(d => d < 0 ? "B" : d.ToString()))}]");
    }
}
