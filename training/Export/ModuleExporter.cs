using LatentEbm.Onnx;
using LatentEbm.Onnx.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LatentEbm.Training.Export;

/// <summary>
/// Maps trained TorchSharp modules onto the ONNX builder's layer specifications, copying weights
/// out as float32 arrays. Supported: Linear, ReLU, LeakyReLU, GELU (exact erf form), SiLU, Tanh,
/// Sigmoid, Conv2d and ConvTranspose2d (square kernels, equal strides and paddings, no dilation,
/// groups or output padding), BatchNorm2d (inference mode), Flatten and Unflatten. Anything else is
/// an <see cref="OnnxExportException"/> that names it.
/// </summary>
public static class ModuleExporter
{
    /// <summary>The layer sequence of <paramref name="modules"/> for input rows of <paramref name="inputShape"/> (batch excluded).</summary>
    /// <exception cref="OnnxExportException">An unsupported module or setting, or shapes that do not chain.</exception>
    public static Network ToNetwork(IEnumerable<nn.Module> modules, long[] inputShape) =>
        new([.. modules.Select(ToLayer)], inputShape);

    /// <summary>A network that describes itself as a layer sequence (f_alpha <c>[B, nz] → [B, 1]</c>, g_theta <c>[B, nz] → [B, C, H, W]</c>).</summary>
    /// <exception cref="OnnxExportException">An unsupported module or setting, or shapes that do not chain.</exception>
    public static Network ToNetwork(Model.ILayerSequence network) => ToNetwork(network.Layers(), network.InputShape);

    /// <summary>A generator module as a network <c>[B, nz] → [B, C, H, W]</c>.</summary>
    /// <exception cref="OnnxExportException">The module does not describe its layers, or one cannot be exported.</exception>
    public static Network Generator(nn.Module<Tensor, Tensor> generator) => generator is Model.ILayerSequence sequence
        ? ToNetwork(sequence)
        : throw new OnnxExportException($"generator {generator.GetType().Name} does not describe its layers ({nameof(Model.ILayerSequence)})");

    /// <summary>One module's layer specification.</summary>
    /// <exception cref="OnnxExportException">Unsupported module or setting; the message names it.</exception>
    public static Layer ToLayer(nn.Module module) => module switch
    {
        TorchSharp.Modules.Linear l => new Onnx.Layers.Linear((int)l.in_features, (int)l.out_features, Floats(l.weight!),
            l.bias is null ? new float[l.out_features] : Floats(l.bias)),
        TorchSharp.Modules.ReLU => new Onnx.Layers.ReLU(),
        TorchSharp.Modules.LeakyReLU l => new Onnx.Layers.LeakyReLU((float)l.negative_slope),
        TorchSharp.Modules.GELU g when g.approximate.ToString() == "none" => new Gelu(),
        TorchSharp.Modules.GELU => throw new OnnxExportException("GELU with the tanh approximation is not supported; use the exact erf form"),
        TorchSharp.Modules.SiLU => new Onnx.Layers.SiLU(),
        TorchSharp.Modules.Tanh => new Onnx.Layers.Tanh(),
        TorchSharp.Modules.Sigmoid => new Onnx.Layers.Sigmoid(),
        TorchSharp.Modules.Conv2d c => Convolution(c, transposed: false),
        TorchSharp.Modules.ConvTranspose2d c => Convolution(c, transposed: true),
        TorchSharp.Modules.BatchNorm2d b => new Onnx.Layers.BatchNorm2d(
            b.weight is null ? Ones(b.num_features) : Floats(b.weight), b.bias is null ? new float[b.num_features] : Floats(b.bias),
            Floats(b.running_mean ?? throw new OnnxExportException("BatchNorm2d without running statistics cannot be exported")),
            Floats(b.running_var!), (float)b.eps),
        TorchSharp.Modules.Flatten f when f.start_dim == 1 && f.end_dim == -1 => new Onnx.Layers.Flatten(),
        TorchSharp.Modules.Unflatten u when u.dim == 1 => new Onnx.Layers.Reshape(u.unflattened_size),
        _ => throw new OnnxExportException($"unsupported layer {module.GetType().Name} ({module.GetName()}) for ONNX export"),
    };

    private static Layer Convolution(TorchSharp.Modules.Convolution c, bool transposed)
    {
        string name = transposed ? "ConvTranspose2d" : "Conv2d";
        if (c.padding_type is not null)
            throw new OnnxExportException($"{name} with padding mode '{c.padding_type}' is not supported; give explicit padding");
        long[] k = c.kernel_size, s = c.stride, p = c.padding ?? [0, 0], d = c.dilation, op = c.output_padding ?? [0, 0];
        if (k[0] != k[1] || s[0] != s[1] || p[0] != p[1] || d.Any(v => v != 1) || c.groups != 1 || op.Any(v => v != 0))
            throw new OnnxExportException($"{name} with kernel [{string.Join(", ", k)}], stride [{string.Join(", ", s)}], padding [{string.Join(", ", p)}], dilation [{string.Join(", ", d)}], groups {c.groups}, output padding [{string.Join(", ", op)}] is not supported (square kernels, equal strides and paddings, no dilation, groups or output padding)");
        float[] weight = Floats(c.weight!);
        float[]? bias = c.bias is null ? null : Floats(c.bias);
        return transposed
            ? new Onnx.Layers.ConvTranspose2d((int)c.in_channels, (int)c.out_channels, (int)k[0], (int)s[0], (int)p[0], weight, bias)
            : new Onnx.Layers.Conv2d((int)c.in_channels, (int)c.out_channels, (int)k[0], (int)s[0], (int)p[0], weight, bias);
    }

    private static float[] Floats(Tensor t) => t.detach().to(float32).cpu().contiguous().data<float>().ToArray();

    private static float[] Ones(long n) => [.. Enumerable.Repeat(1f, (int)n)];
}
