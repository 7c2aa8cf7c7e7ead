using LatentEbm.Pipelines.Transforms;

namespace Microsoft.ML;

/// <summary>
/// Latent-space EBM prior models (Pang et al., NeurIPS 2020) in ML.NET pipelines: anomaly scores and
/// latent features from an exported model bundle, computed in batches on ONNX Runtime.
/// </summary>
/// <example>
/// <code>
/// var pipeline = mlContext.Transforms.ScoreLatentEbmAnomaly("models/mnist-digit4", outputColumnName: "Score", inputColumnName: "Features");
/// var scored = pipeline.Fit(data).Transform(data);   // adds Single "Score", higher = more anomalous
/// </code>
/// </example>
public static class LatentEbmCatalog
{
    /// <summary>
    /// Adds the bundle's anomaly score (<c>Single</c>, higher = more anomalous) of the image in
    /// <paramref name="inputColumnName"/> (a <c>Vector&lt;Single&gt;</c> of C·H·W pixels on the model's scale).
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="bundlePath">Model bundle folder.</param>
    /// <param name="outputColumnName">Column to add.</param>
    /// <param name="inputColumnName">Image column.</param>
    /// <param name="seed">Chain seed (row i draws from stream i of the seed).</param>
    /// <param name="gpuDeviceId">CUDA device, or null for CPU.</param>
    /// <param name="fallbackToCpu">With a GPU device: fall back to CPU when CUDA cannot load.</param>
    public static LatentEbmEstimator ScoreLatentEbmAnomaly(this TransformsCatalog catalog, string bundlePath,
        string outputColumnName = "Score", string inputColumnName = "Features", int seed = 0, int? gpuDeviceId = null, bool fallbackToCpu = false) =>
        catalog.ScoreLatentEbmAnomaly(Options(bundlePath, outputColumnName, inputColumnName, seed, gpuDeviceId, fallbackToCpu));

    private static LatentEbmTransformOptions Options(string bundlePath, string outputColumnName, string inputColumnName, int seed, int? gpuDeviceId, bool fallbackToCpu) => new()
    {
        BundlePath = bundlePath, OutputColumnName = outputColumnName, InputColumnName = inputColumnName, Seed = seed,
        GpuDeviceId = gpuDeviceId, FallbackToCpu = fallbackToCpu,
    };

    /// <summary>Adds the anomaly score with every option given (see <see cref="LatentEbmTransformOptions"/>; <paramref name="options"/> is copied, never written).</summary>
    public static LatentEbmEstimator ScoreLatentEbmAnomaly(this TransformsCatalog catalog, LatentEbmTransformOptions options)
    {
        _ = catalog;
        return new LatentEbmEstimator(options.With(LatentEbmOutput.AnomalyScore));
    }

    /// <summary>
    /// Adds the posterior latent z (<c>Vector&lt;Single&gt;</c> of size nz) of the image in
    /// <paramref name="inputColumnName"/>: features for downstream trainers.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="bundlePath">Model bundle folder.</param>
    /// <param name="outputColumnName">Column to add.</param>
    /// <param name="inputColumnName">Image column.</param>
    /// <param name="seed">Chain seed (row i draws from stream i of the seed).</param>
    /// <param name="gpuDeviceId">CUDA device, or null for CPU.</param>
    /// <param name="fallbackToCpu">With a GPU device: fall back to CPU when CUDA cannot load.</param>
    public static LatentEbmEstimator EncodeLatentEbm(this TransformsCatalog catalog, string bundlePath,
        string outputColumnName = "Latent", string inputColumnName = "Features", int seed = 0, int? gpuDeviceId = null, bool fallbackToCpu = false) =>
        catalog.EncodeLatentEbm(Options(bundlePath, outputColumnName, inputColumnName, seed, gpuDeviceId, fallbackToCpu));

    /// <summary>Adds the latent with every option given (see <see cref="LatentEbmTransformOptions"/>; <paramref name="options"/> is copied, never written).</summary>
    public static LatentEbmEstimator EncodeLatentEbm(this TransformsCatalog catalog, LatentEbmTransformOptions options)
    {
        _ = catalog;
        return new LatentEbmEstimator(options.With(LatentEbmOutput.Latent));
    }
}
