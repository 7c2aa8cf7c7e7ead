using LatentEbm.Inference;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace LatentEbm.Pipelines.Transforms;

/// <summary>
/// Adds an anomaly-score (<c>Single</c>) or latent (<c>Vector&lt;Single&gt;</c> of size nz) column computed
/// by a model bundle on ONNX Runtime (each row's posterior chain from the encoder's mean when the bundle has an encoder,
/// unless <see cref="LatentEbmTransformOptions.PosteriorStart"/> forces noise). Rows are scored in batches through the inference library on the
/// first cursor over the transformed data (row i's chain draws from stream i of the seed, so results equal row-by-row
/// scoring), then served in row order; the input's other columns pass through.
/// </summary>
/// <remarks>
/// The transformer owns the bundle's ONNX Runtime sessions (native memory): dispose it, as ML.NET's
/// <c>OnnxTransformer</c>, once its output has been read (a <c>TransformerChain</c> disposes it with the chain).
/// Not a row-to-row mapper (it batches), so it cannot back a PredictionEngine; use
/// <see cref="LatentEbmInference"/> directly for single requests. Saving with <c>mlContext.Model.Save</c> is not supported:
/// a transformer is fully described by its bundle path and options, so rebuild it with the catalog
/// method when the pipeline is loaded.
/// </remarks>
public sealed class LatentEbmTransformer : ITransformer, IDisposable
{
    private readonly LatentEbmInference model;
    private readonly LatentEbmSettings settings;
    private int disposed;

    internal LatentEbmTransformer(LatentEbmInference model, LatentEbmSettings settings)
    {
        this.model = model;
        this.settings = settings;
    }

    /// <inheritdoc />
    public bool IsRowToRowMapper => false;

    /// <summary>The model behind the transform (its sessions live as long as this transformer).</summary>
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    public LatentEbmInference Model
    {
        get
        {
            ThrowIfDisposed();
            return model;
        }
    }

    /// <summary>The bundle's image shape [C, H, W]: the input column holds C·H·W values, channel planes, row-major.</summary>
    public IReadOnlyList<int> ImageShape => model.Manifest.Model.ImageShape;

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing, or neither a vector of the bundle's C·H·W Single values nor an image of its H x W (naming the column and [C, H, W]).</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ImageColumn.Check(inputSchema, settings.InputColumnName, model.Manifest.Model.ImageShape);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        if (settings.Output == LatentEbmOutput.AnomalyScore) builder.AddColumn(settings.OutputColumnName, NumberDataViewType.Single);
        else builder.AddColumn(settings.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, model.Nz));
        return builder.ToSchema();
    }

    /// <inheritdoc />
    /// <remarks>
    /// Reading the result throws <see cref="InvalidOperationException"/>, before any row is returned, when a vector's value is
    /// not finite or lies outside the bundle's <c>pixel_range</c> (<see cref="Inference.Bundles.BundleModel.AcceptsPixel"/>,
    /// the HTTP service's rule), or an image column's image is not H x W; the message names the column, the row and the
    /// value or size. An image's bytes k become k / 127.5 − 1 in R, G, B planes (BT.601 luminance for a one-channel
    /// bundle), as for the service's files. Reading it for the first time after <see cref="Dispose"/> throws
    /// <see cref="ObjectDisposedException"/>.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    public IDataView Transform(IDataView input)
    {
        ThrowIfDisposed();
        return new LatentEbmDataView(input, GetOutputSchema(input.Schema), Compute);
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        throw new NotSupportedException("the latent-EBM transform scores in batches and has no row-to-row mapper; call LatentEbmInference for single rows");

    /// <inheritdoc />
    public void Save(ModelSaveContext ctx) =>
        throw new NotSupportedException($"a latent-EBM transform is not saved with the ML.NET model: save the rest of the pipeline and rebuild this step with mlContext.Transforms.{settings.CatalogMethod}(\"{settings.BundlePath}\", ...) after loading (see README)");

    /// <summary>Releases the bundle's ONNX Runtime sessions. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0) model.Dispose();
    }

    private void ThrowIfDisposed() =>
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, $"{nameof(LatentEbmTransformer)} of {settings.BundlePath} (read the output of Transform before disposing the transformer)");

    /// <summary>One pass over the input column, in batches: the new column's values per row, row-major.</summary>
    private float[] Compute(IDataView input)
    {
        ThrowIfDisposed();
        int size = model.PixelsPerImage, width = settings.Output == LatentEbmOutput.AnomalyScore ? 1 : model.Nz;
        var column = input.Schema[settings.InputColumnName];
        var values = new List<float>();
        var batch = new List<ImageRequest>();
        long row = 0;
        void Flush()
        {
            if (batch.Count == 0) return;
            var chain = new ChainSettings(Start: settings.PosteriorStart);
            var results = settings.Output == LatentEbmOutput.AnomalyScore ? model.ScoreBatch(batch, chain) : model.InferLatentsBatch(batch, chain);
            foreach (var r in results) values.AddRange(r);
            batch.Clear();
        }
        using (var cursor = input.GetRowCursor([column]))
        {
            var read = ImageColumn.Reader(cursor, column, model.Manifest.Model);
            while (cursor.MoveNext())
            {
                var image = new float[size];
                read(row, image);
                batch.Add(new ImageRequest(image, 1, settings.Seed, row));
                row++;
                if (batch.Count == settings.BatchSize) Flush();
            }
        }
        Flush();
        if (values.Count != row * width) throw new InvalidOperationException($"computed {values.Count} values for {row} rows");
        return [.. values];
    }
}
