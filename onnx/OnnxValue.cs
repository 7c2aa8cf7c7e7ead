namespace LatentEbm.Onnx;

/// <summary>
/// A float32 tensor value of a graph under construction: its name and static shape, with -1 for
/// the symbolic batch dimension B.
/// </summary>
/// <param name="Name">Unique value name in the model.</param>
/// <param name="Shape">Dimensions; -1 marks the batch dimension.</param>
public sealed record OnnxValue(string Name, long[] Shape)
{
    /// <summary>Rank of the tensor.</summary>
    public int Rank => Shape.Length;

    /// <summary>Number of values per batch row (product of the non-batch dimensions).</summary>
    public long RowSize => Shape.Where(d => d >= 0).Aggregate(1L, (a, b) => a * b);

    /// <summary>The shape as text, e.g. <c>[B, 1, 28, 28]</c>.</summary>
    public string ShapeText => $"[{string.Join(", ", Shape.Select(d => d < 0 ? "B" : d.ToString()))}]";
}
