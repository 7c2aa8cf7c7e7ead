using Microsoft.ML.OnnxRuntime.Tensors;

namespace LatentEbm.Inference.Runtime;

/// <summary>One output tensor of an <see cref="OrtGraph"/> run, copied out of ONNX Runtime: float32 or int64 row-major data and its shape.</summary>
public sealed class GraphOutput
{
    private readonly float[]? floats;
    private readonly long[]? longs;

    internal GraphOutput(string name, long[] shape, float[]? floats, long[]? longs)
    {
        Name = name;
        Shape = shape;
        this.floats = floats;
        this.longs = longs;
    }

    /// <summary>The graph output's name.</summary>
    public string Name { get; }

    /// <summary>The shape, outermost dimension first.</summary>
    public long[] Shape { get; }

    /// <summary>The shape as <c>int</c>s.</summary>
    public int[] Dims => [.. Shape.Select(d => checked((int)d))];

    /// <summary><see cref="TensorElementType.Float"/> or <see cref="TensorElementType.Int64"/>.</summary>
    public TensorElementType ElementType => floats is not null ? TensorElementType.Float : TensorElementType.Int64;

    /// <summary>The float32 values.</summary>
    /// <exception cref="InvalidOperationException">The output is int64.</exception>
    public float[] Floats => floats ?? throw new InvalidOperationException($"output '{Name}' is int64, not float32");

    /// <summary>The int64 values.</summary>
    /// <exception cref="InvalidOperationException">The output is float32.</exception>
    public long[] Longs => longs ?? throw new InvalidOperationException($"output '{Name}' is float32, not int64");
}
