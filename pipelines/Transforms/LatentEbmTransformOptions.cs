using LatentEbm.Inference;

namespace LatentEbm.Pipelines.Transforms;

/// <summary>What a latent-EBM transform adds to each row.</summary>
public enum LatentEbmOutput
{
    /// <summary>A <c>Single</c> anomaly score (higher = more anomalous; PAPER.md's score at a posterior sample).</summary>
    AnomalyScore,
    /// <summary>A <c>Vector&lt;Single&gt;</c> of size nz: the posterior latent z of the row's image.</summary>
    Latent,
}

/// <summary>Options of <c>ScoreLatentEbmAnomaly</c> and <c>EncodeLatentEbm</c>.</summary>
public sealed class LatentEbmTransformOptions
{
    /// <summary>The model bundle folder (manifest.json and ONNX files).</summary>
    public string BundlePath { get; set; } = "";

    /// <summary>Name of the column to add.</summary>
    public string OutputColumnName { get; set; } = "Score";

    /// <summary>
    /// Input column, one image per row, checked against the manifest's <c>image_shape</c> [C, H, W]: either a known-size
    /// <c>Vector&lt;Single&gt;</c> of C·H·W values in R, G, B planes (row-major within a plane) on the bundle's
    /// <c>pixel_range</c> ([-1, 1] for every shipped bundle; values off it are refused when the rows are read), of any
    /// dimensions with that total; or an ML.NET image column (<c>LoadImages</c> of Microsoft.ML.ImageAnalytics, then
    /// <c>ResizeImages</c> to W x H), whose bytes k become k / 127.5 − 1 (BT.601 luminance for one channel).
    /// Anything else is a schema error at <c>Fit</c> naming the column and [C, H, W].
    /// </summary>
    public string InputColumnName { get; set; } = "Features";

    /// <summary>What to add: the anomaly score or the latent vector.</summary>
    public LatentEbmOutput Output { get; set; } = LatentEbmOutput.AnomalyScore;

    /// <summary>Seed of the chains; row i draws from the seed's stream i (Philox4x32-10), so results do not depend on batching.</summary>
    public int Seed { get; set; }

    /// <summary>Rows per graph run.</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>CUDA device to run on, or null for CPU (as in ML.NET's ApplyOnnxModel).</summary>
    public int? GpuDeviceId { get; set; }

    /// <summary>With a GPU device: fall back to CPU when CUDA cannot load, instead of failing (as in ApplyOnnxModel).</summary>
    public bool FallbackToCpu { get; set; }

    /// <summary>
    /// Where each row's posterior chain starts: <see cref="PosteriorStartMode.Auto"/> (the default) starts at the encoder's
    /// mean mu(x) and refines it by the bundle's <c>score.encoder_steps</c> steps when the bundle has an encoder (PAPER.md,
    /// "Amortised posterior"; manifest <c>model.posterior_start</c> <c>encoder</c>), else from noise;
    /// <see cref="PosteriorStartMode.Noise"/> forces the paper's chain from z0 ~ N(0, sigma0² I) (<c>score.steps</c> steps);
    /// <see cref="PosteriorStartMode.Encoder"/> requires the encoder (a bundle without one is an error at <c>Fit</c>).
    /// </summary>
    public PosteriorStartMode PosteriorStart { get; set; } = PosteriorStartMode.Auto;

    /// <summary>
    /// The options as an immutable snapshot with <paramref name="output"/>: estimators and transformers keep only the
    /// snapshot, so they never write to the caller's object and later changes to it never reach them.
    /// </summary>
    internal LatentEbmSettings Freeze(LatentEbmOutput output) =>
        new(BundlePath, OutputColumnName, InputColumnName, output, Seed, BatchSize, GpuDeviceId, FallbackToCpu, PosteriorStart);
}
