namespace LatentEbm.Onnx;

/// <summary>A network cannot be exported: an unsupported layer (named), or shapes that do not fit.</summary>
public sealed class OnnxExportException(string message) : InvalidOperationException(message);
