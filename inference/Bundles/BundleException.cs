namespace LatentEbm.Inference.Bundles;

/// <summary>
/// A model bundle cannot be used: a missing file, a SHA-256 mismatch, an unknown schema version,
/// an unreadable (truncated, corrupt) ONNX file or manifest, or a graph whose signature is not its
/// role's. The message names the file.
/// </summary>
public sealed class BundleException(string path, string problem, Exception? inner = null)
    : IOException($"model bundle {path}: {problem}", inner)
{
    /// <summary>The file (or folder) at fault.</summary>
    public string FilePath { get; } = path;
}
