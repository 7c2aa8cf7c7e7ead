namespace LatentEbm.Onnx.Layers;

/// <summary>y = x Wᵀ + b, x <c>[B, in]</c>, W <c>[out, in]</c> (PyTorch layout), b <c>[out]</c>. VJP: dx = dy W.</summary>
public sealed class Linear : Layer
{
    /// <summary>Creates the layer; weight is row-major <c>[out, in]</c>.</summary>
    /// <exception cref="ArgumentException">Array lengths disagree with the sizes.</exception>
    public Linear(int inFeatures, int outFeatures, float[] weight, float[] bias)
    {
        if (weight.Length != (long)inFeatures * outFeatures || bias.Length != outFeatures)
            throw new ArgumentException($"Linear({inFeatures}, {outFeatures}): weight has {weight.Length} values, bias {bias.Length}");
        In = inFeatures; Out = outFeatures; Weight = weight; Bias = bias;
    }

    /// <summary>Input features.</summary>
    public int In { get; }

    /// <summary>Output features.</summary>
    public int Out { get; }

    /// <summary>Row-major <c>[out, in]</c>.</summary>
    public float[] Weight { get; }

    /// <summary><c>[out]</c>.</summary>
    public float[] Bias { get; }

    /// <inheritdoc />
    public override string Describe() => $"Linear({In}, {Out})";

    /// <inheritdoc />
    public override long[] OutputShape(long[] input) { Expect(input, -1, In); return [input[0], Out]; }

    /// <inheritdoc />
    public override OnnxValue Forward(GraphBuilder g, OnnxValue x)
    {
        Expect(x.Shape, -1, In);
        var w = g.Weight("linear_weight", Weight, [Out, In]);
        var b = g.Weight("linear_bias", Bias, [Out]);
        return g.Op("Gemm", [x, w, b], [x.Shape[0], Out], Attr.Int("transB", 1));
    }

    /// <inheritdoc />
    public override OnnxValue Backward(GraphBuilder g, OnnxValue x, OnnxValue y, OnnxValue dy)
    {
        return g.MatMul(dy, g.Weight("linear_weight", Weight, [Out, In]));
    }
}
