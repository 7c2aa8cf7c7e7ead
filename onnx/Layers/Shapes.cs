namespace LatentEbm.Onnx.Layers;

/// <summary>Reshape <c>[B, ...]</c> to <c>[B, Shape...]</c>. VJP: reshape back.</summary>
public sealed class Reshape(params long[] shape) : Layer
{
    /// <summary>The target shape without the batch dimension.</summary>
    public long[] Shape { get; } = shape;

    /// <inheritdoc />
    public override string Describe() => $"Reshape([{string.Join(", ", Shape)}])";

    /// <inheritdoc />
    public override long[] OutputShape(long[] input)
    {
        long inSize = input.Skip(1).Aggregate(1L, (a, b) => a * b), outSize = Shape.Aggregate(1L, (a, b) => a * b);
        if (inSize != outSize) throw new OnnxExportException($"{Describe()} cannot reshape {inSize} values per row into {outSize}");
        return [input[0], .. Shape];
    }

    /// <inheritdoc />
    public override OnnxValue Forward(GraphBuilder g, OnnxValue x)
    {
        var shape = OutputShape(x.Shape);
        return g.Reshape(x, [-1, .. shape[1..]]);
    }

    /// <inheritdoc />
    public override OnnxValue Backward(GraphBuilder g, OnnxValue x, OnnxValue y, OnnxValue dy) => g.Reshape(dy, [-1, .. x.Shape[1..]]);
}

/// <summary>Flatten <c>[B, ...]</c> to <c>[B, N]</c>. VJP: reshape back.</summary>
public sealed class Flatten : Layer
{
    /// <inheritdoc />
    public override string Describe() => "Flatten";

    /// <inheritdoc />
    public override long[] OutputShape(long[] input) => [input[0], input.Skip(1).Aggregate(1L, (a, b) => a * b)];

    /// <inheritdoc />
    public override OnnxValue Forward(GraphBuilder g, OnnxValue x) => g.Op("Flatten", [x], OutputShape(x.Shape), Attr.Int("axis", 1));

    /// <inheritdoc />
    public override OnnxValue Backward(GraphBuilder g, OnnxValue x, OnnxValue y, OnnxValue dy) => g.Reshape(dy, [-1, .. x.Shape[1..]]);
}
