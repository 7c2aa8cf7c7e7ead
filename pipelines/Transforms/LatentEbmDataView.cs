using Microsoft.ML;
using Microsoft.ML.Data;

namespace LatentEbm.Pipelines.Transforms;

/// <summary>
/// The input view plus one computed column. The column is computed once, in batches, when the first
/// cursor is made; cursors then walk the input in order (shuffling is not offered) and read the
/// computed value at their row position.
/// </summary>
internal sealed class LatentEbmDataView(IDataView input, DataViewSchema schema, Func<IDataView, float[]> compute) : IDataView
{
    private readonly Lazy<float[]> values = new(() => compute(input), LazyThreadSafetyMode.ExecutionAndPublication);

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; } = schema;

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        int added = Schema.Count - 1;
        var needed = columnsNeeded.ToList();
        var inputColumns = needed.Where(c => c.Index != added).Select(c => input.Schema[c.Index]);
        bool wantsAdded = needed.Any(c => c.Index == added);
        return new Cursor(this, input.GetRowCursor(inputColumns), wantsAdded ? values.Value : null);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(LatentEbmDataView view, DataViewRowCursor input, float[]? values) : DataViewRowCursor
    {
        private readonly int added = view.Schema.Count - 1;
        private readonly int width = view.Schema[view.Schema.Count - 1].Type is VectorDataViewType v ? v.Size : 1;

        public override DataViewSchema Schema => view.Schema;
        public override long Position => input.Position;
        public override long Batch => input.Batch;
        public override bool MoveNext() => input.MoveNext();
        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index == added ? values is not null : input.IsColumnActive(input.Schema[column.Index]);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index != added) return input.GetGetter<TValue>(input.Schema[column.Index]);
            if (values is null) throw new InvalidOperationException($"column '{column.Name}' was not requested for this cursor");
            if (width == 1)
            {
                ValueGetter<float> scalar = (ref float value) => value = values[input.Position];
                return (ValueGetter<TValue>)(Delegate)scalar;
            }
            ValueGetter<VBuffer<float>> vector = (ref VBuffer<float> value) =>
            {
                var editor = VBufferEditor.Create(ref value, width);
                values.AsSpan((int)(input.Position * width), width).CopyTo(editor.Values);
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)vector;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) input.Dispose();
            base.Dispose(disposing);
        }
    }
}
