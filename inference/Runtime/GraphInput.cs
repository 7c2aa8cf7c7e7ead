using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace LatentEbm.Inference.Runtime;

/// <summary>
/// One named input tensor of an <see cref="OrtGraph"/> run: float32 or int64 row-major data the caller owns and its shape.
/// The run reads the memory in place (no copy) and never writes it.
/// </summary>
public sealed class GraphInput
{
    private readonly Memory<float> floats;
    private readonly Memory<long> longs;

    private GraphInput(string name, TensorElementType type, Memory<float> floats, Memory<long> longs, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        Name = name;
        ElementType = type;
        this.floats = floats;
        this.longs = longs;
        Shape = shape;
    }

    /// <summary>The graph input's name.</summary>
    public string Name { get; }

    /// <summary><see cref="TensorElementType.Float"/> or <see cref="TensorElementType.Int64"/>.</summary>
    public TensorElementType ElementType { get; }

    /// <summary>The shape, outermost dimension first; <c>[]</c> for a scalar.</summary>
    public long[] Shape { get; }

    /// <summary>The count of values the data holds.</summary>
    public int Length => ElementType == TensorElementType.Float ? floats.Length : longs.Length;

    /// <summary>A float32 input of <paramref name="shape"/> over the whole of <paramref name="data"/> (row-major).</summary>
    public static GraphInput Float32(string name, float[] data, params long[] shape) => Float32(name, data.AsMemory(), shape);

    /// <summary>An int64 input (e.g. token ids) of <paramref name="shape"/> over the whole of <paramref name="data"/> (row-major).</summary>
    public static GraphInput Int64(string name, long[] data, params long[] shape) => Int64(name, data.AsMemory(), shape);

    /// <summary>A float32 input of <paramref name="shape"/> over <paramref name="data"/> (row-major).</summary>
    public static GraphInput Float32(string name, Memory<float> data, params long[] shape) => new(name, TensorElementType.Float, data, default, shape);

    /// <summary>An int64 input (e.g. token ids) of <paramref name="shape"/> over <paramref name="data"/> (row-major).</summary>
    public static GraphInput Int64(string name, Memory<long> data, params long[] shape) => new(name, TensorElementType.Int64, default, data, shape);

    /// <summary>An OrtValue over the caller's memory (pinned until the value is disposed).</summary>
    internal OrtValue ToOrtValue() => ElementType == TensorElementType.Float
        ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, floats, Shape)
        : OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, longs, Shape);
}
