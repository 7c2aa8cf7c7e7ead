using LatentEbm.Inference.Text;

namespace LatentEbm.Pipelines.Transforms;

/// <summary>Options of <c>ScoreLatentEbmTextAnomaly</c>: a text bundle's anomaly score of a text column.</summary>
public sealed class TextAnomalyTransformOptions
{
    /// <summary>The text bundle folder (manifest.json with observation kind <c>text</c>, ONNX files, vocabulary.txt).</summary>
    public string BundlePath { get; set; } = "";

    /// <summary>
    /// Input column of ML.NET type <c>Text</c> (<see cref="Microsoft.ML.Data.TextDataViewType"/>, a <c>string</c> field of a
    /// loaded class): one sentence per row, words separated by white space, 1 to the bundle's <c>max_words</c> words.
    /// Unknown words read as &lt;unk&gt;; a row the model cannot read (empty, too long, a reserved token) fails when the
    /// output is read, naming the row. Any other column type is a schema error at <c>Fit</c>.
    /// </summary>
    public string InputColumnName { get; set; } = "Text";

    /// <summary>Name of the <c>Single</c> column to add (higher = more anomalous).</summary>
    public string OutputColumnName { get; set; } = "Score";

    /// <summary>Seed of the posterior chains; row i draws from the seed's stream i (Philox4x32-10), so scores do not depend on batching.</summary>
    public int Seed { get; set; }

    /// <summary>Rows per graph run, 1..<see cref="TextLatentEbmInference.MaxBatch"/>.</summary>
    public int BatchSize { get; set; } = 256;

    /// <summary>CUDA device to run on, or null for CPU (as in ML.NET's ApplyOnnxModel).</summary>
    public int? GpuDeviceId { get; set; }

    /// <summary>With a GPU device: fall back to CPU when CUDA cannot load, instead of failing.</summary>
    public bool FallbackToCpu { get; set; }

    /// <summary>The options as an immutable snapshot: estimators and transformers keep only the snapshot and never write to the caller's object.</summary>
    internal TextAnomalySettings Freeze() => new(BundlePath, InputColumnName, OutputColumnName, Seed, BatchSize, GpuDeviceId, FallbackToCpu);
}

/// <summary>What a text anomaly estimator and its transformers read of <see cref="TextAnomalyTransformOptions"/>, fixed when the estimator is made.</summary>
internal sealed record TextAnomalySettings(string BundlePath, string InputColumnName, string OutputColumnName, int Seed, int BatchSize, int? GpuDeviceId, bool FallbackToCpu)
{
    /// <summary>The provider request: no GPU id = CPU; an id = CUDA, or auto with fallback.</summary>
    public Inference.Runtime.ExecutionOptions Execution => GpuDeviceId is int id
        ? new(FallbackToCpu ? Inference.Runtime.ExecutionProvider.Auto : Inference.Runtime.ExecutionProvider.Cuda, id)
        : new(Inference.Runtime.ExecutionProvider.Cpu);
}
