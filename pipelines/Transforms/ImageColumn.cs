using LatentEbm.Inference.Bundles;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace LatentEbm.Pipelines.Transforms;

/// <summary>
/// The input column of a latent-EBM transform, checked against the bundle's image shape [C, H, W]: either a
/// known-size <c>Vector&lt;Single&gt;</c> of C·H·W values on the bundle's pixel range (any dimensions of that total,
/// e.g. <c>ExtractPixels</c>' [C, H, W]), or an ML.NET image (<see cref="ImageDataViewType"/>, from <c>LoadImages</c>
/// and <c>ResizeImages</c>) of H x W, whose bytes are converted by <see cref="MLImagePixels"/>.
/// </summary>
internal static class ImageColumn
{
    /// <summary>What the column must hold, for messages.</summary>
    public static string Expected(int[] shape) =>
        $"Vector<Single, {shape.Aggregate(1, (a, b) => a * b)}> (the bundle's image [{string.Join(", ", shape)}] as C·H·W values, channel planes) " +
        $"or an image of {shape[2]}x{shape[1]} (LoadImages, then ResizeImages(imageWidth: {shape[2]}, imageHeight: {shape[1]}))";

    /// <summary>Throws unless <paramref name="column"/> of <paramref name="schema"/> can feed a bundle of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">ML.NET's schema-mismatch error naming the column, what it must hold and [C, H, W].</exception>
    public static void Check(DataViewSchema schema, string column, int[] shape)
    {
        var found = schema.GetColumnOrNull(column) ?? throw LatentEbmEstimator.SchemaMismatch(column, Expected(shape), "no such column");
        bool fits = found.Type switch
        {
            VectorDataViewType { ItemType: NumberDataViewType t } v => t == NumberDataViewType.Single && v.Size == shape.Aggregate(1, (a, b) => a * b),
            ImageDataViewType image => FitsImage(image, shape),
            _ => false,
        };
        if (!fits) throw LatentEbmEstimator.SchemaMismatch(column, Expected(shape), found.Type.ToString() ?? "?");
    }

    /// <summary>
    /// The same check on a <see cref="SchemaShape"/>, which carries no vector size (that is checked at <c>Fit</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">ML.NET's schema-mismatch error naming the column.</exception>
    public static void Check(SchemaShape schema, string column, int[] shape)
    {
        var found = schema.Where(c => c.Name == column).Select(c => (SchemaShape.Column?)c).LastOrDefault()
                    ?? throw LatentEbmEstimator.SchemaMismatch(column, Expected(shape), "no such column");
        bool fits = found.Kind == SchemaShape.Column.VectorKind.Vector && found.ItemType == NumberDataViewType.Single && !found.IsKey
                    || found.Kind == SchemaShape.Column.VectorKind.Scalar && found.ItemType is ImageDataViewType image && FitsImage(image, shape);
        if (!fits) throw LatentEbmEstimator.SchemaMismatch(column, Expected(shape), found.Kind switch
        {
            SchemaShape.Column.VectorKind.Vector => $"Vector<{found.ItemType}>",
            SchemaShape.Column.VectorKind.VariableVector => $"VarVector<{found.ItemType}>",
            _ => found.ItemType.ToString() ?? "?",
        });
    }

    /// <summary>An image type of the bundle's H x W, or of a size known only per row (LoadImages without ResizeImages).</summary>
    private static bool FitsImage(ImageDataViewType image, int[] shape) =>
        image.Height == 0 && image.Width == 0 || image.Height == shape[1] && image.Width == shape[2];

    /// <summary>
    /// A reader of the column at the cursor's row into C·H·W values, refusing values that are not finite or lie
    /// outside the bundle's pixel range, and images of another size.
    /// </summary>
    /// <exception cref="InvalidOperationException">(When reading) the message names the column, the row and the value or size.</exception>
    public static Action<long, float[]> Reader(DataViewRowCursor cursor, DataViewSchema.Column column, BundleModel model)
    {
        int[] shape = model.ImageShape;
        if (column.Type is ImageDataViewType)
        {
            var images = cursor.GetGetter<MLImage>(column);
            MLImage image = null!;
            return (row, destination) =>
            {
                images(ref image);
                if (image is null) throw new InvalidOperationException($"column '{column.Name}' holds no image at row {row}");
                if (image.Height != shape[1] || image.Width != shape[2])
                    throw new InvalidOperationException($"column '{column.Name}' holds a {image.Width}x{image.Height} image at row {row}; the bundle takes [{string.Join(", ", shape)}]: " +
                                                        $"resize it first (ResizeImages(imageWidth: {shape[2]}, imageHeight: {shape[1]}))");
                MLImagePixels.ToPlanes(image, shape[0], destination);
            };
        }
        var vectors = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> buffer = default;
        return (row, destination) =>
        {
            vectors(ref buffer);
            buffer.CopyTo(destination);
            for (int i = 0; i < destination.Length; i++)
                if (!model.AcceptsPixel(destination[i]))
                    throw new InvalidOperationException($"column '{column.Name}' holds {destination[i]} at row {row}, value {i}: " +
                        (float.IsFinite(destination[i]) ? $"outside the bundle's pixel range [{model.PixelRange[0]}, {model.PixelRange[1]}]" : "not finite"));
        };
    }
}
