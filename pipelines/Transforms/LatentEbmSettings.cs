using LatentEbm.Inference;

namespace LatentEbm.Pipelines.Transforms;

/// <summary>
/// What an estimator and its transformers read of <see cref="LatentEbmTransformOptions"/>, fixed when the
/// estimator is made (immutable, so the transform side cannot write options).
/// </summary>
internal sealed record LatentEbmSettings(
    string BundlePath, string OutputColumnName, string InputColumnName, LatentEbmOutput Output,
    int Seed, int BatchSize, int? GpuDeviceId, bool FallbackToCpu, PosteriorStartMode PosteriorStart)
{
    /// <summary>The catalog method that adds this step, for messages.</summary>
    public string CatalogMethod => Output == LatentEbmOutput.AnomalyScore ? "ScoreLatentEbmAnomaly" : "EncodeLatentEbm";
}
