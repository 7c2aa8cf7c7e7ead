namespace LatentEbm.Onnx.Layers;

/// <summary>Element-wise activations: the shape is kept.</summary>
public abstract class Activation : Layer
{
    /// <inheritdoc />
    public override long[] OutputShape(long[] input) => input;
}

/// <summary>max(x, 0). VJP: dy where x &gt; 0, else 0.</summary>
public sealed class ReLU : Activation
{
    /// <inheritdoc />
    public override string Describe() => "ReLU";
    /// <inheritdoc />
    public override OnnxValue Forward(GraphBuilder g, OnnxValue x) => g.Unary("Relu", x);
    /// <inheritdoc />
    public override OnnxValue Backward(GraphBuilder g, OnnxValue x, OnnxValue y, OnnxValue dy) => g.WherePositive(x, dy, g.Scalar(0f));
}

/// <summary>x if x &gt; 0 else slope·x. VJP: dy · (x &gt; 0 ? 1 : slope), PyTorch's choice at 0.</summary>
public sealed class LeakyReLU(float slope) : Activation
{
    /// <summary>Slope for negative inputs.</summary>
    public float Slope { get; } = slope;
    /// <inheritdoc />
    public override string Describe() => $"LeakyReLU({Slope})";
    /// <inheritdoc />
    public override OnnxValue Forward(GraphBuilder g, OnnxValue x) => g.Unary("LeakyRelu", x, Attr.Float("alpha", Slope));
    /// <inheritdoc />
    public override OnnxValue Backward(GraphBuilder g, OnnxValue x, OnnxValue y, OnnxValue dy) =>
        g.Mul(dy, g.WherePositive(x, g.Scalar(1f), g.Scalar(Slope)));
}

/// <summary>tanh(x). VJP: dy (1 - y²).</summary>
public sealed class Tanh : Activation
{
    /// <inheritdoc />
    public override string Describe() => "Tanh";
    /// <inheritdoc />
    public override OnnxValue Forward(GraphBuilder g, OnnxValue x) => g.Unary("Tanh", x);
    /// <inheritdoc />
    public override OnnxValue Backward(GraphBuilder g, OnnxValue x, OnnxValue y, OnnxValue dy) =>
        g.Mul(dy, g.Sub(g.Scalar(1f), g.Mul(y, y)));
}

/// <summary>σ(x) = 1 / (1 + e^-x). VJP: dy y (1 - y).</summary>
public sealed class Sigmoid : Activation
{
    /// <inheritdoc />
    public override string Describe() => "Sigmoid";
    /// <inheritdoc />
    public override OnnxValue Forward(GraphBuilder g, OnnxValue x) => g.Unary("Sigmoid", x);
    /// <inheritdoc />
    public override OnnxValue Backward(GraphBuilder g, OnnxValue x, OnnxValue y, OnnxValue dy) =>
        g.Mul(dy, g.Mul(y, g.Sub(g.Scalar(1f), y)));
}

/// <summary>x σ(x). VJP: dy σ(x) (1 + x (1 - σ(x))).</summary>
public sealed class SiLU : Activation
{
    /// <inheritdoc />
    public override string Describe() => "SiLU";
    /// <inheritdoc />
    public override OnnxValue Forward(GraphBuilder g, OnnxValue x) => g.Mul(x, g.Unary("Sigmoid", x));
    /// <inheritdoc />
    public override OnnxValue Backward(GraphBuilder g, OnnxValue x, OnnxValue y, OnnxValue dy)
    {
        var s = g.Unary("Sigmoid", x);
        return g.Mul(dy, g.Mul(s, g.Add(g.Scalar(1f), g.Mul(x, g.Sub(g.Scalar(1f), s)))));
    }
}

/// <summary>
/// GELU, exact erf form (PyTorch's default): x Φ(x), Φ(x) = (1 + erf(x/√2)) / 2.
/// VJP: dy (Φ(x) + x φ(x)), φ(x) = e^(-x²/2) / √(2π).
/// </summary>
public sealed class Gelu : Activation
{
    /// <inheritdoc />
    public override string Describe() => "GELU";
    /// <inheritdoc />
    public override OnnxValue Forward(GraphBuilder g, OnnxValue x) => g.Mul(x, Phi(g, x));
    /// <inheritdoc />
    public override OnnxValue Backward(GraphBuilder g, OnnxValue x, OnnxValue y, OnnxValue dy)
    {
        var density = g.Mul(g.Unary("Exp", g.Mul(g.Mul(x, x), -0.5f)), (float)(1 / Math.Sqrt(2 * Math.PI)));
        return g.Mul(dy, g.Add(Phi(g, x), g.Mul(x, density)));
    }

    private static OnnxValue Phi(GraphBuilder g, OnnxValue x) =>
        g.Mul(g.Add(g.Unary("Erf", g.Mul(x, (float)(1 / Math.Sqrt(2)))), g.Scalar(1f)), 0.5f);
}
