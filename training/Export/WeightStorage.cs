namespace LatentEbm.Training.Export;

/// <summary>Where an exported bundle's graphs keep their weight tensors.</summary>
public enum WeightStorage
{
    /// <summary>
    /// One shared <c>weights.bin</c> beside the graphs (ONNX external data, each distinct tensor once; the manifest's
    /// <c>weights</c> names it). The smallest bundle; a graph loads only by its path inside the bundle folder, so this
    /// suits the bundle's own loaders (<c>ModelBundle</c>, the CLI, the service, the ML.NET estimators).
    /// </summary>
    External,

    /// <summary>
    /// Every graph self-contained, its weights inside the <c>.onnx</c> file (the manifest's <c>weights</c> is null).
    /// Larger (graphs that share the prior or the generator each hold a copy) and limited to 2 GiB per graph (protobuf),
    /// but any one file loads alone from bytes or from another folder: for ML.NET's <c>ApplyOnnxModel</c>, whose saved
    /// model keeps the graph's bytes only, and for any tool that copies a single graph.
    /// </summary>
    Embedded,
}
