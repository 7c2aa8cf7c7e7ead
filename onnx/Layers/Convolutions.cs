namespace LatentEbm.Onnx.Layers;

/// <summary>Shared geometry of square-kernel 2-D convolutions.</summary>
public abstract class Convolution2d : Layer
{
    /// <summary>Creates the layer; the weight is in PyTorch's layout for the concrete type.</summary>
    /// <exception cref="ArgumentException">Array lengths disagree with the sizes.</exception>
    protected Convolution2d(int inChannels, int outChannels, int kernel, int stride, int padding, float[] weight, float[]? bias)
    {
        if (weight.Length != (long)inChannels * outChannels * kernel * kernel || (bias is not null && bias.Length != outChannels))
            throw new ArgumentException($"{GetType().Name}({inChannels}, {outChannels}, k{kernel}): weight has {weight.Length} values, bias {bias?.Length}");
        In = inChannels; Out = outChannels; Kernel = kernel; Stride = stride; Padding = padding; Weight = weight; Bias = bias;
    }

    /// <summary>Input channels.</summary>
    public int In { get; }
    /// <summary>Output channels.</summary>
    public int Out { get; }
    /// <summary>Kernel size (square).</summary>
    public int Kernel { get; }
    /// <summary>Stride.</summary>
    public int Stride { get; }
    /// <summary>Zero padding on each side.</summary>
    public int Padding { get; }
    /// <summary>Weights, row-major.</summary>
    public float[] Weight { get; }
    /// <summary>Bias <c>[out]</c>, or null.</summary>
    public float[]? Bias { get; }

    /// <inheritdoc />
    public override string Describe() => $"{GetType().Name}({In}, {Out}, kernel {Kernel}, stride {Stride}, padding {Padding})";

    /// <summary>The node attributes shared by Conv and ConvTranspose.</summary>
    protected global::Onnx.AttributeProto[] Geometry(params global::Onnx.AttributeProto[] extra) =>
        [Attr.Ints("kernel_shape", Kernel, Kernel), Attr.Ints("strides", Stride, Stride), Attr.Ints("pads", Padding, Padding, Padding, Padding), .. extra];

    /// <summary>The weight as an initializer of shape <paramref name="shape"/>.</summary>
    protected OnnxValue W(GraphBuilder g, long[] shape) => g.Weight("conv_weight", Weight, shape);

    /// <summary>Inputs of the forward node: x, W, and the bias when present.</summary>
    protected OnnxValue[] ForwardInputs(GraphBuilder g, OnnxValue x, long[] weightShape) =>
        Bias is null ? [x, W(g, weightShape)] : [x, W(g, weightShape), g.Weight("conv_bias", Bias, [Out])];
}

/// <summary>
/// 2-D convolution, weight <c>[out, in, k, k]</c>: H' = ⌊(H + 2p - k) / s⌋ + 1. VJP: the transposed
/// convolution of dy with the same weight, with output padding (H + 2p - k) mod s so that dx is H x W.
/// </summary>
public sealed class Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, float[] weight, float[]? bias)
    : Convolution2d(inChannels, outChannels, kernel, stride, padding, weight, bias)
{
    private long Size(long h) => (h + 2 * Padding - Kernel) / Stride + 1;

    /// <inheritdoc />
    public override long[] OutputShape(long[] input)
    {
        Expect(input, -1, In, input.Length > 2 ? input[2] : 0, input.Length > 3 ? input[3] : 0);
        if (input[2] + 2 * Padding < Kernel || input[3] + 2 * Padding < Kernel) throw new OnnxExportException($"{Describe()}: input {input[2]}x{input[3]} is smaller than the kernel");
        return [input[0], Out, Size(input[2]), Size(input[3])];
    }

    /// <inheritdoc />
    public override OnnxValue Forward(GraphBuilder g, OnnxValue x) =>
        g.Op("Conv", ForwardInputs(g, x, [Out, In, Kernel, Kernel]), OutputShape(x.Shape), Geometry());

    /// <inheritdoc />
    public override OnnxValue Backward(GraphBuilder g, OnnxValue x, OnnxValue y, OnnxValue dy)
    {
        long padH = (x.Shape[2] + 2 * Padding - Kernel) % Stride, padW = (x.Shape[3] + 2 * Padding - Kernel) % Stride;
        // As a ConvTranspose weight, [out, in, k, k] reads as [C_in = out, C_out = in]: exactly the adjoint.
        return g.Op("ConvTranspose", [dy, W(g, [Out, In, Kernel, Kernel])], x.Shape, Geometry(Attr.Ints("output_padding", padH, padW)));
    }
}

/// <summary>
/// 2-D transposed convolution, weight <c>[in, out, k, k]</c> (PyTorch layout): H' = (H - 1) s - 2p + k.
/// VJP: the convolution of dy with the same weight (read as <c>[M = in, C = out]</c>), same stride and padding.
/// </summary>
public sealed class ConvTranspose2d(int inChannels, int outChannels, int kernel, int stride, int padding, float[] weight, float[]? bias)
    : Convolution2d(inChannels, outChannels, kernel, stride, padding, weight, bias)
{
    private long Size(long h) => (h - 1) * Stride - 2 * Padding + Kernel;

    /// <inheritdoc />
    public override long[] OutputShape(long[] input)
    {
        Expect(input, -1, In, input.Length > 2 ? input[2] : 0, input.Length > 3 ? input[3] : 0);
        if (Size(input[2]) <= 0 || Size(input[3]) <= 0) throw new OnnxExportException($"{Describe()}: output size would not be positive");
        return [input[0], Out, Size(input[2]), Size(input[3])];
    }

    /// <inheritdoc />
    public override OnnxValue Forward(GraphBuilder g, OnnxValue x) =>
        g.Op("ConvTranspose", ForwardInputs(g, x, [In, Out, Kernel, Kernel]), OutputShape(x.Shape), Geometry());

    /// <inheritdoc />
    public override OnnxValue Backward(GraphBuilder g, OnnxValue x, OnnxValue y, OnnxValue dy) =>
        g.Op("Conv", [dy, W(g, [In, Out, Kernel, Kernel])], x.Shape, Geometry());
}

/// <summary>
/// Batch normalisation in inference mode over channels of <c>[B, C, H, W]</c>:
/// y = (x - mean) / √(var + eps) · γ + β. VJP: dy · γ / √(var + eps) per channel.
/// </summary>
public sealed class BatchNorm2d : Layer
{
    /// <summary>Creates the layer from its running statistics and affine parameters (each <c>[C]</c>).</summary>
    /// <exception cref="ArgumentException">Arrays of different lengths.</exception>
    public BatchNorm2d(float[] gamma, float[] beta, float[] runningMean, float[] runningVar, float eps = 1e-5f)
    {
        int c = gamma.Length;
        if (beta.Length != c || runningMean.Length != c || runningVar.Length != c)
            throw new ArgumentException("BatchNorm2d: gamma, beta, mean and var must have one value per channel");
        Gamma = gamma; Beta = beta; Mean = runningMean; Var = runningVar; Eps = eps;
        Factor = [.. Enumerable.Range(0, c).Select(i => (float)(gamma[i] / Math.Sqrt(runningVar[i] + (double)eps)))];
    }

    /// <summary>γ.</summary>
    public float[] Gamma { get; }
    /// <summary>β.</summary>
    public float[] Beta { get; }
    /// <summary>Running mean.</summary>
    public float[] Mean { get; }
    /// <summary>Running variance.</summary>
    public float[] Var { get; }
    /// <summary>ε.</summary>
    public float Eps { get; }
    private float[] Factor { get; }

    /// <inheritdoc />
    public override string Describe() => $"BatchNorm2d({Gamma.Length})";

    /// <inheritdoc />
    public override long[] OutputShape(long[] input)
    {
        Expect(input, -1, Gamma.Length, input.Length > 2 ? input[2] : 0, input.Length > 3 ? input[3] : 0);
        return input;
    }

    /// <inheritdoc />
    public override OnnxValue Forward(GraphBuilder g, OnnxValue x)
    {
        long c = Gamma.Length;
        return g.Op("BatchNormalization",
            [x, g.Weight("bn_scale", Gamma, [c]), g.Weight("bn_bias", Beta, [c]), g.Weight("bn_mean", Mean, [c]), g.Weight("bn_var", Var, [c])],
            OutputShape(x.Shape), Attr.Float("epsilon", Eps));
    }

    /// <inheritdoc />
    public override OnnxValue Backward(GraphBuilder g, OnnxValue x, OnnxValue y, OnnxValue dy) =>
        g.Mul(dy, g.Weight("bn_factor", Factor, [Gamma.Length, 1, 1]));
}
