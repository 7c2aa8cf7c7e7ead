using LatentEbm.Inference;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Runtime;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace LatentEbm.Pipelines.Transforms;

/// <summary>
/// Estimator of a latent-EBM transform: reads the bundle's manifest, checks the input column, and yields a
/// <see cref="LatentEbmTransformer"/> holding its own ONNX Runtime sessions. Nothing is learned: the bundle is already trained.
/// </summary>
public sealed class LatentEbmEstimator : IEstimator<LatentEbmTransformer>
{
    private readonly LatentEbmSettings settings;
    private readonly Lazy<BundleManifest> manifest;

    /// <summary>Creates the estimator from a snapshot of <paramref name="options"/> (never written to); the manifest is read on first use.</summary>
    /// <exception cref="ArgumentException">No bundle path or output column, a batch size outside 1..<see cref="LatentEbmInference.MaxBatch"/>, or an undefined <see cref="LatentEbmTransformOptions.PosteriorStart"/>.</exception>
    public LatentEbmEstimator(LatentEbmTransformOptions options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Freeze(options.Output))
    {
    }

    internal LatentEbmEstimator(LatentEbmSettings settings)
    {
        if (string.IsNullOrWhiteSpace(settings.BundlePath)) throw new ArgumentException("BundlePath is required", "options");
        if (string.IsNullOrWhiteSpace(settings.OutputColumnName)) throw new ArgumentException("OutputColumnName is required", "options");
        if (settings.BatchSize < 1 || settings.BatchSize > LatentEbmInference.MaxBatch)
            throw new ArgumentOutOfRangeException("options", settings.BatchSize, $"BatchSize must be 1..{LatentEbmInference.MaxBatch}");
        if (!Enum.IsDefined(settings.PosteriorStart))
            throw new ArgumentOutOfRangeException("options", settings.PosteriorStart, "PosteriorStart must be Auto, Encoder or Noise");
        this.settings = settings;
        manifest = new(() => ModelBundle.ReadManifest(settings.BundlePath));
    }

    /// <summary>The provider request of ML.NET's ONNX transformer: no GPU id = CPU; an id = CUDA, or auto with fallback.</summary>
    internal static ExecutionOptions Execution(LatentEbmSettings s) => s.GpuDeviceId is int id
        ? new ExecutionOptions(s.FallbackToCpu ? ExecutionProvider.Auto : ExecutionProvider.Cuda, id)
        : new ExecutionOptions(ExecutionProvider.Cpu);

    /// <summary>Checks the input column and describes the output column.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing, or neither a vector of Single nor an image of the bundle's H x W (ML.NET's schema-mismatch error naming the column; a <see cref="SchemaShape"/> carries no vector size, so that is checked at <see cref="Fit"/>).</exception>
    /// <exception cref="BundleException">The bundle's manifest is missing or unreadable.</exception>
    /// <exception cref="ArgumentException"><see cref="LatentEbmTransformOptions.PosteriorStart"/> is <see cref="PosteriorStartMode.Encoder"/> and the bundle has no encoder.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        CheckStart();
        ImageColumn.Check(inputSchema, settings.InputColumnName, manifest.Value.Model.ImageShape);
        return OutputOnly().GetOutputSchema(inputSchema);
    }

    /// <summary>
    /// Checks <paramref name="input"/>'s schema (the input column must hold the bundle's C·H·W values, or be an image of
    /// its H x W) and opens the bundle's ONNX Runtime sessions for a new transformer, which owns them: dispose it when done.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Schema mismatch; the message names the column, what it must hold and the bundle's [C, H, W].</exception>
    /// <exception cref="BundleException">The bundle does not load (a missing or damaged file, named).</exception>
    /// <exception cref="ArgumentException"><see cref="LatentEbmTransformOptions.PosteriorStart"/> is <see cref="PosteriorStartMode.Encoder"/> and the bundle has no encoder.</exception>
    public LatentEbmTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckStart();
        ImageColumn.Check(input.Schema, settings.InputColumnName, manifest.Value.Model.ImageShape);
        return new LatentEbmTransformer(LatentEbmInference.Open(settings.BundlePath, Execution(settings)), settings);
    }

    /// <summary>Refuses <see cref="PosteriorStartMode.Encoder"/> for a bundle without an encoder, naming the option and the bundle.</summary>
    private void CheckStart()
    {
        if (settings.PosteriorStart == PosteriorStartMode.Encoder && !manifest.Value.Model.HasEncoder)
            throw new ArgumentException($"PosteriorStart is Encoder, but the bundle {settings.BundlePath} has no encoder (its manifest's model.posterior_start is {manifest.Value.Model.PosteriorStart}); use Auto or Noise", "options");
    }

    private sealed class NoColumns;
    private sealed class ScoreRow { public float Value { get; set; } }
    private sealed class LatentRow { public float[] Value { get; set; } = []; }

    /// <summary>
    /// A mapping that reads no column and adds this transform's output column: its output shape is ML.NET's own
    /// (SchemaShape's column constructor is internal to ML.NET). The input column is checked by <see cref="ImageColumn"/>.
    /// </summary>
    private IEstimator<ITransformer> OutputOnly()
    {
        var context = new MLContext();
        var input = SchemaDefinition.Create(typeof(NoColumns));
        if (settings.Output == LatentEbmOutput.AnomalyScore)
        {
            var output = SchemaDefinition.Create(typeof(ScoreRow));
            output[0].ColumnName = settings.OutputColumnName;
            return context.Transforms.CustomMapping<NoColumns, ScoreRow>((_, _) => { }, null, input, output);
        }
        var latent = SchemaDefinition.Create(typeof(LatentRow));
        latent[0].ColumnName = settings.OutputColumnName;
        latent[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, manifest.Value.Model.Nz);
        return context.Transforms.CustomMapping<NoColumns, LatentRow>((_, _) => { }, null, input, latent);
    }

    /// <summary>ML.NET's wording for a schema mismatch (its <c>Contracts.ExceptSchemaMismatch</c>).</summary>
    internal static ArgumentOutOfRangeException SchemaMismatch(string column, string expected, string actual) =>
        new("inputSchema", $"Schema mismatch for input column '{column}': expected {expected}, got {actual}");
}
