using LatentEbm.Inference;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace LatentEbm.Pipelines.Transforms;

/// <summary>
/// Adds an anomaly-score (<c>Single</c>) or latent (<c>Vector&lt;Single&gt;</c> of size nz) column computed
/// by a model bundle on ONNX Runtime. Rows are scored in batches through the inference library on the
/// first cursor over the transformed data (row i's chain draws from stream i of the seed, so results equal row-by-row
/// scoring), then served in row order; the input's other columns pass through.
/// </summary>
/// <remarks>
/// Not a row-to-row mapper (it batches), so it cannot back a PredictionEngine; use
/// <see cref="LatentEbmInference"/> directly for single requests. Saving with <c>mlContext.Model.Save</c> is not supported:
/// a transformer is fully described by its bundle path and options, so rebuild it with the catalog
/// method when the pipeline is loaded.
/// </remarks>
public sealed class LatentEbmTransformer : ITransformer
{
    private readonly LatentEbmInference model;
    private readonly LatentEbmTransformOptions options;

    internal LatentEbmTransformer(LatentEbmInference model, LatentEbmTransformOptions options)
    {
        this.model = model;
        this.options = options;
    }

    /// <inheritdoc />
    public bool IsRowToRowMapper => false;

    /// <summary>The model behind the transform.</summary>
    public LatentEbmInference Model => model;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        CheckVectorSize(inputSchema, options.InputColumnName, model.PixelsPerImage);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        if (options.Output == LatentEbmOutput.AnomalyScore) builder.AddColumn(options.OutputColumnName, NumberDataViewType.Single);
        else builder.AddColumn(options.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, model.Nz));
        return builder.ToSchema();
    }

    /// <inheritdoc />
    /// <remarks>
    /// Reading the result throws <see cref="InvalidOperationException"/>, before any row is returned, when a pixel is
    /// not finite or lies outside the bundle's <c>pixel_range</c> (<see cref="Inference.Bundles.BundleModel.AcceptsPixel"/>,
    /// the HTTP service's rule); the message names the column, the row and the value.
    /// </remarks>
    public IDataView Transform(IDataView input) => new LatentEbmDataView(input, GetOutputSchema(input.Schema), Compute);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        throw new NotSupportedException("the latent-EBM transform scores in batches and has no row-to-row mapper; call LatentEbmInference for single rows");

    /// <inheritdoc />
    public void Save(ModelSaveContext ctx) =>
        throw new NotSupportedException($"a latent-EBM transform is not saved with the ML.NET model: save the rest of the pipeline and rebuild this step with mlContext.Transforms.{(options.Output == LatentEbmOutput.AnomalyScore ? "ScoreLatentEbmAnomaly" : "EncodeLatentEbm")}(\"{options.BundlePath}\", ...) after loading (see README)");

    /// <summary>Throws unless <paramref name="column"/> is a known-size vector of Single with <paramref name="size"/> values.</summary>
    internal static void CheckVectorSize(DataViewSchema schema, string column, int size)
    {
        var found = schema.GetColumnOrNull(column) ?? throw LatentEbmEstimator.SchemaMismatch(column, $"Vector<Single, {size}>", "missing");
        if (found.Type is not VectorDataViewType { ItemType: NumberDataViewType t } vector || t != NumberDataViewType.Single || vector.Size != size)
            throw LatentEbmEstimator.SchemaMismatch(column, $"Vector<Single, {size}>", found.Type.ToString() ?? "?");
    }

    /// <summary>One pass over the input column, in batches: the new column's values per row, row-major.</summary>
    private float[] Compute(IDataView input)
    {
        int size = model.PixelsPerImage, width = options.Output == LatentEbmOutput.AnomalyScore ? 1 : model.Nz;
        var pixels = model.Manifest.Model;
        var column = input.Schema[options.InputColumnName];
        var values = new List<float>();
        var batch = new List<ImageRequest>();
        long row = 0;
        void Flush()
        {
            if (batch.Count == 0) return;
            var results = options.Output == LatentEbmOutput.AnomalyScore ? model.ScoreBatch(batch) : model.InferLatentsBatch(batch);
            foreach (var r in results) values.AddRange(r);
            batch.Clear();
        }
        using (var cursor = input.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> buffer = default;
            while (cursor.MoveNext())
            {
                getter(ref buffer);
                var image = new float[size];
                buffer.CopyTo(image);
                for (int i = 0; i < size; i++)
                    if (!pixels.AcceptsPixel(image[i]))
                        throw new InvalidOperationException($"column '{options.InputColumnName}' holds {image[i]} at row {row}, value {i}: " +
                            (float.IsFinite(image[i]) ? $"outside the bundle's pixel range [{pixels.PixelRange[0]}, {pixels.PixelRange[1]}]" : "not finite"));
                batch.Add(new ImageRequest(image, 1, options.Seed, row));
                row++;
                if (batch.Count == options.BatchSize) Flush();
            }
        }
        Flush();
        if (values.Count != row * width) throw new InvalidOperationException($"computed {values.Count} values for {row} rows");
        return [.. values];
    }
}
