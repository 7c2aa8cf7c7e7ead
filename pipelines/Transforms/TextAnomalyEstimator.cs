using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace LatentEbm.Pipelines.Transforms;

/// <summary>
/// Estimator of the text anomaly transform: reads the text bundle's manifest, checks that the input column is text, and
/// yields a <see cref="TextAnomalyTransformer"/> holding its own ONNX Runtime sessions. Nothing is learned: the bundle is already trained.
/// </summary>
public sealed class TextAnomalyEstimator : IEstimator<TextAnomalyTransformer>
{
    private readonly TextAnomalySettings settings;
    private readonly Lazy<TextBundleManifest> manifest;

    /// <summary>Creates the estimator from a snapshot of <paramref name="options"/> (never written to); the manifest is read on first use.</summary>
    /// <exception cref="ArgumentException">No bundle path, input or output column, or a batch size outside 1..<see cref="TextLatentEbmInference.MaxBatch"/>.</exception>
    public TextAnomalyEstimator(TextAnomalyTransformOptions options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Freeze())
    {
    }

    internal TextAnomalyEstimator(TextAnomalySettings settings)
    {
        if (string.IsNullOrWhiteSpace(settings.BundlePath)) throw new ArgumentException("BundlePath is required", "options");
        if (string.IsNullOrWhiteSpace(settings.InputColumnName)) throw new ArgumentException("InputColumnName is required", "options");
        if (string.IsNullOrWhiteSpace(settings.OutputColumnName)) throw new ArgumentException("OutputColumnName is required", "options");
        if (settings.BatchSize < 1 || settings.BatchSize > TextLatentEbmInference.MaxBatch)
            throw new ArgumentOutOfRangeException("options", settings.BatchSize, $"BatchSize must be 1..{TextLatentEbmInference.MaxBatch}");
        this.settings = settings;
        manifest = new(() => TextBundle.ReadManifest(settings.BundlePath));
    }

    /// <summary>Checks the input column and describes the output column (<c>Single</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or not a scalar text column (ML.NET's schema-mismatch wording, naming the column).</exception>
    /// <exception cref="BundleException">The manifest is missing, unreadable, or of an image bundle.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        _ = manifest.Value;
        var found = inputSchema.Where(c => c.Name == settings.InputColumnName).Select(c => (SchemaShape.Column?)c).LastOrDefault()
                    ?? throw TextColumn.Mismatch(settings.InputColumnName, "no such column");
        if (found.Kind != SchemaShape.Column.VectorKind.Scalar || found.ItemType is not TextDataViewType)
            throw TextColumn.Mismatch(settings.InputColumnName, found.Kind == SchemaShape.Column.VectorKind.Scalar ? found.ItemType.ToString() ?? "?" : $"{found.Kind}<{found.ItemType}>");
        var context = new MLContext();
        var output = SchemaDefinition.Create(typeof(ScoreRow));
        output[0].ColumnName = settings.OutputColumnName;
        return context.Transforms.CustomMapping<NoColumns, ScoreRow>((_, _) => { }, null, SchemaDefinition.Create(typeof(NoColumns)), output).GetOutputSchema(inputSchema);
    }

    /// <summary>Checks <paramref name="input"/>'s schema and opens the bundle's sessions for a new transformer, which owns them: dispose it when done.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or not text; the message names the column.</exception>
    /// <exception cref="BundleException">The bundle does not load (a missing or damaged file, named), or is an image bundle.</exception>
    public TextAnomalyTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _ = manifest.Value;
        TextColumn.Check(input.Schema, settings.InputColumnName);
        return new TextAnomalyTransformer(TextLatentEbmInference.Open(settings.BundlePath, settings.Execution), settings);
    }

    private sealed class NoColumns;
    private sealed class ScoreRow { public float Value { get; set; } }
}

/// <summary>The input column of the text anomaly transform: ML.NET <c>Text</c>, one sentence per row.</summary>
internal static class TextColumn
{
    /// <summary>Throws unless <paramref name="column"/> of <paramref name="schema"/> is a text column.</summary>
    /// <exception cref="ArgumentOutOfRangeException">ML.NET's schema-mismatch wording, naming the column.</exception>
    public static void Check(DataViewSchema schema, string column)
    {
        var found = schema.GetColumnOrNull(column) ?? throw Mismatch(column, "no such column");
        if (found.Type is not TextDataViewType) throw Mismatch(column, found.Type.ToString() ?? "?");
    }

    /// <summary>The schema-mismatch error of a text column.</summary>
    public static ArgumentOutOfRangeException Mismatch(string column, string actual) =>
        LatentEbmEstimator.SchemaMismatch(column, "String (a text column: one sentence per row, words separated by white space)", actual);
}
