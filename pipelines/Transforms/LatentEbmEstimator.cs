using LatentEbm.Inference;
using LatentEbm.Inference.Runtime;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace LatentEbm.Pipelines.Transforms;

/// <summary>
/// Estimator of a latent-EBM transform: opens the bundle, checks the input column, and yields a
/// <see cref="LatentEbmTransformer"/>. Nothing is learned: the bundle is already trained.
/// </summary>
public sealed class LatentEbmEstimator : IEstimator<LatentEbmTransformer>
{
    private readonly LatentEbmTransformOptions options;
    private readonly Lazy<LatentEbmInference> model;

    /// <summary>Creates the estimator from a copy of <paramref name="options"/> (never written to); the bundle is opened on first use.</summary>
    /// <exception cref="ArgumentException">No bundle path or output column, or a batch size outside 1..<see cref="LatentEbmInference.MaxBatch"/>.</exception>
    public LatentEbmEstimator(LatentEbmTransformOptions options)
    {
        options = options.With(options.Output);
        if (string.IsNullOrWhiteSpace(options.BundlePath)) throw new ArgumentException("BundlePath is required", nameof(options));
        if (string.IsNullOrWhiteSpace(options.OutputColumnName)) throw new ArgumentException("OutputColumnName is required", nameof(options));
        if (options.BatchSize < 1 || options.BatchSize > LatentEbmInference.MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, $"BatchSize must be 1..{LatentEbmInference.MaxBatch}");
        this.options = options;
        model = new(() => LatentEbmInference.Open(options.BundlePath, Execution(options)));
    }

    /// <summary>The provider request of ML.NET's ONNX transformer: no GPU id = CPU; an id = CUDA, or auto with fallback.</summary>
    internal static ExecutionOptions Execution(LatentEbmTransformOptions o) => o.GpuDeviceId is int id
        ? new ExecutionOptions(o.FallbackToCpu ? ExecutionProvider.Auto : ExecutionProvider.Cuda, id)
        : new ExecutionOptions(ExecutionProvider.Cpu);

    /// <summary>Checks the input column and describes the output column.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or not a known-size vector of Single of the model's image size (ML.NET's schema-mismatch error naming the column).</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => ShapeOnly().GetOutputSchema(inputSchema);

    /// <summary>Checks <paramref name="input"/>'s schema (including the vector size) and returns the transformer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Schema mismatch; the message names the column.</exception>
    public LatentEbmTransformer Fit(IDataView input)
    {
        ShapeOnly().Fit(input).GetOutputSchema(input.Schema);
        LatentEbmTransformer.CheckVectorSize(input.Schema, options.InputColumnName, model.Value.PixelsPerImage);
        return new LatentEbmTransformer(model.Value, options);
    }

    private sealed class ImageRow { public float[] Image { get; set; } = []; }
    private sealed class ScoreRow { public float Value { get; set; } }
    private sealed class LatentRow { public float[] Value { get; set; } = []; }

    /// <summary>
    /// A mapping with this transform's input and output columns and no work, whose schema checks are
    /// ML.NET's own (SchemaShape's constructors are internal to ML.NET).
    /// </summary>
    private IEstimator<ITransformer> ShapeOnly()
    {
        var context = new MLContext();
        var input = SchemaDefinition.Create(typeof(ImageRow));
        input[0].ColumnName = options.InputColumnName;
        input[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, model.Value.PixelsPerImage);
        if (options.Output == LatentEbmOutput.AnomalyScore)
        {
            var output = SchemaDefinition.Create(typeof(ScoreRow));
            output[0].ColumnName = options.OutputColumnName;
            return context.Transforms.CustomMapping<ImageRow, ScoreRow>((_, _) => { }, null, input, output);
        }
        var latent = SchemaDefinition.Create(typeof(LatentRow));
        latent[0].ColumnName = options.OutputColumnName;
        latent[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, model.Value.Nz);
        return context.Transforms.CustomMapping<ImageRow, LatentRow>((_, _) => { }, null, input, latent);
    }

    /// <summary>ML.NET's wording for a schema mismatch.</summary>
    internal static ArgumentOutOfRangeException SchemaMismatch(string column, string expected, string actual) =>
        new(nameof(column), $"Schema mismatch for input column '{column}': expected {expected}, got {actual}");
}
