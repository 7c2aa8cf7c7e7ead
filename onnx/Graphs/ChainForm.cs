namespace LatentEbm.Onnx.Graphs;

/// <summary>How a K-step Langevin chain is laid out in a graph.</summary>
public enum ChainForm
{
    /// <summary>K copies of the step, noise sliced per step (a bigger graph, no control flow).</summary>
    Unrolled,
    /// <summary>One ONNX Loop node whose body is one step (a small graph).</summary>
    Loop,
}
