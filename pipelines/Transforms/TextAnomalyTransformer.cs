using LatentEbm.Inference.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace LatentEbm.Pipelines.Transforms;

/// <summary>
/// Adds a text bundle's anomaly score (<c>Single</c>, higher = more anomalous) of the sentence in a text column: the negative
/// log joint at the sentence's posterior latent (<see cref="TextLatentEbmInference.Score"/>). Rows are scored in batches on the
/// first cursor over the transformed data, row i's chain drawing from stream i of the seed, so each score equals the
/// library's for that row alone whatever the batch size; the input's other columns pass through.
/// </summary>
/// <remarks>
/// The transformer owns the bundle's ONNX Runtime sessions: dispose it once its output has been read. Not a row-to-row
/// mapper (it batches) and not saved with an ML.NET model: rebuild it with <c>ScoreLatentEbmTextAnomaly</c>.
/// </remarks>
public sealed class TextAnomalyTransformer : ITransformer, IDisposable
{
    private readonly TextLatentEbmInference model;
    private readonly TextAnomalySettings settings;
    private int disposed;

    internal TextAnomalyTransformer(TextLatentEbmInference model, TextAnomalySettings settings)
    {
        this.model = model;
        this.settings = settings;
    }

    /// <inheritdoc />
    public bool IsRowToRowMapper => false;

    /// <summary>The model behind the transform (its sessions live as long as this transformer).</summary>
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    public TextLatentEbmInference Model
    {
        get
        {
            ThrowIfDisposed();
            return model;
        }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or not text (naming the column).</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        TextColumn.Check(inputSchema, settings.InputColumnName);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        builder.AddColumn(settings.OutputColumnName, NumberDataViewType.Single);
        return builder.ToSchema();
    }

    /// <inheritdoc />
    /// <remarks>
    /// Reading the result throws <see cref="InvalidOperationException"/>, before any row is returned, when a row's sentence is
    /// empty, longer than the bundle's <c>max_words</c> or holds a reserved token; the message names the column and the row.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The transformer was disposed.</exception>
    public IDataView Transform(IDataView input)
    {
        ThrowIfDisposed();
        return new LatentEbmDataView(input, GetOutputSchema(input.Schema), Compute);
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        throw new NotSupportedException("the text anomaly transform scores in batches and has no row-to-row mapper; call TextLatentEbmInference.Score for single rows");

    /// <inheritdoc />
    public void Save(ModelSaveContext ctx) =>
        throw new NotSupportedException($"a text anomaly transform is not saved with the ML.NET model: rebuild it with mlContext.Transforms.ScoreLatentEbmTextAnomaly(\"{settings.BundlePath}\", ...) after loading");

    /// <summary>Releases the bundle's ONNX Runtime sessions. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0) model.Dispose();
    }

    private void ThrowIfDisposed() =>
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, $"{nameof(TextAnomalyTransformer)} of {settings.BundlePath} (read the output of Transform before disposing the transformer)");

    /// <summary>One pass over the text column, in batches: the score of each row, in row order.</summary>
    private float[] Compute(IDataView input)
    {
        ThrowIfDisposed();
        var column = input.Schema[settings.InputColumnName];
        var scores = new List<float>();
        var batch = new List<string>();
        long row = 0;
        void Flush()
        {
            if (batch.Count == 0) return;
            scores.AddRange(model.Score(batch, settings.Seed, firstStream: row - batch.Count));
            batch.Clear();
        }
        using (var cursor = input.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> text = default;
            while (cursor.MoveNext())
            {
                getter(ref text);
                string sentence = text.ToString();
                try
                {
                    model.Vocabulary.Tokenize(sentence, (int)Math.Min(row, int.MaxValue));
                }
                catch (TextInputException e)
                {
                    throw new InvalidOperationException($"column '{column.Name}' row {row}: {e.Message.Replace($"sentence {e.Index}", "the sentence")}", e);
                }
                batch.Add(sentence);
                row++;
                if (batch.Count == settings.BatchSize) Flush();
            }
        }
        Flush();
        if (scores.Count != row) throw new InvalidOperationException($"computed {scores.Count} scores for {row} rows");
        return [.. scores];
    }
}
