using LatentEbm.Pipelines.Transforms;

namespace Microsoft.ML;

/// <summary>
/// Latent-space EBM prior models (Pang et al., NeurIPS 2020) in ML.NET pipelines: anomaly scores and
/// latent features from an exported model bundle, computed in batches on ONNX Runtime.
/// </summary>
/// <remarks>
/// The input column holds one image per row, checked against the bundle's manifest <c>image_shape</c> [C, H, W]:
/// a known-size <c>Vector&lt;Single&gt;</c> of its C·H·W values in R, G, B planes on its <c>pixel_range</c>
/// ([-1, 1] for every shipped bundle), or an ML.NET image column of Microsoft.ML.ImageAnalytics (<c>LoadImages</c>,
/// then <c>ResizeImages(W, H)</c>), read as k / 127.5 − 1 per byte (see README, "ML.NET pipelines"; ML.NET's own
/// <c>ExtractPixels</c> cannot read pixels beside the SkiaSharp 3 this solution uses). The transformers hold ONNX
/// Runtime sessions: dispose them when done.
/// </remarks>
/// <example>
/// <code>
/// var pipeline = mlContext.Transforms.ScoreLatentEbmAnomaly("models/mnist-digit4", outputColumnName: "Score", inputColumnName: "Features");
/// using var scorer = pipeline.Fit(data);
/// var scored = scorer.Transform(data);   // adds Single "Score", higher = more anomalous
/// </code>
/// </example>
public static class LatentEbmCatalog
{
    /// <summary>
    /// Adds the bundle's anomaly score (<c>Single</c>, higher = more anomalous) of the image in
    /// <paramref name="inputColumnName"/>: a known-size <c>Vector&lt;Single&gt;</c> of the bundle's C·H·W pixels on its scale, or an ML.NET image of its H x W (see the class remarks).
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

    /// <summary>Adds the anomaly score with every option given (see <see cref="LatentEbmTransformOptions"/>; <paramref name="options"/> is read once, never written).</summary>
    public static LatentEbmEstimator ScoreLatentEbmAnomaly(this TransformsCatalog catalog, LatentEbmTransformOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new LatentEbmEstimator(options.Freeze(LatentEbmOutput.AnomalyScore));
    }

    /// <summary>
    /// Adds the posterior latent z (<c>Vector&lt;Single&gt;</c> of size nz) of the image in
    /// <paramref name="inputColumnName"/> (as for <see cref="ScoreLatentEbmAnomaly(TransformsCatalog, string, string, string, int, int?, bool)"/>): features for downstream trainers.
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

    /// <summary>Adds the latent with every option given (see <see cref="LatentEbmTransformOptions"/>; <paramref name="options"/> is read once, never written).</summary>
    public static LatentEbmEstimator EncodeLatentEbm(this TransformsCatalog catalog, LatentEbmTransformOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new LatentEbmEstimator(options.Freeze(LatentEbmOutput.Latent));
    }

    /// <summary>
    /// Adds a text bundle's anomaly score (<c>Single</c>, higher = more anomalous) of the sentence in the text column
    /// <paramref name="inputColumnName"/>: the negative log joint -(log p(x|z) + f(z) - |z|² / (2 sigma0²)) in nats at the
    /// sentence's posterior latent (PAPER.md, "Text model"; <see cref="LatentEbm.Inference.Text.TextLatentEbmInference.Score"/>).
    /// Words are separated by white space; unknown words read as &lt;unk&gt;.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="bundlePath">Text bundle folder (manifest observation kind <c>text</c>).</param>
    /// <param name="inputColumnName">Text column, one sentence per row.</param>
    /// <param name="outputColumnName">Column to add.</param>
    /// <param name="seed">Chain seed (row i draws from stream i of the seed).</param>
    /// <param name="gpuDeviceId">CUDA device, or null for CPU.</param>
    /// <param name="fallbackToCpu">With a GPU device: fall back to CPU when CUDA cannot load.</param>
    public static TextAnomalyEstimator ScoreLatentEbmTextAnomaly(this TransformsCatalog catalog, string bundlePath,
        string inputColumnName = "Text", string outputColumnName = "Score", int seed = 0, int? gpuDeviceId = null, bool fallbackToCpu = false) =>
        catalog.ScoreLatentEbmTextAnomaly(new TextAnomalyTransformOptions
        {
            BundlePath = bundlePath, InputColumnName = inputColumnName, OutputColumnName = outputColumnName, Seed = seed,
            GpuDeviceId = gpuDeviceId, FallbackToCpu = fallbackToCpu,
        });

    /// <summary>Adds the text anomaly score with every option given (see <see cref="TextAnomalyTransformOptions"/>; <paramref name="options"/> is read once, never written).</summary>
    public static TextAnomalyEstimator ScoreLatentEbmTextAnomaly(this TransformsCatalog catalog, TextAnomalyTransformOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new TextAnomalyEstimator(options.Freeze());
    }
}
