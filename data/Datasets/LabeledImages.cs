namespace LatentEbm.Data.Datasets;

/// <summary>
/// Grey-scale images with integer class labels, held as one row-major float array
/// <c>[Count, 1, Height, Width]</c> with pixel values scaled from 0..255 to [-1, 1]
/// (x / 127.5 - 1, the scaling of PAPER.md).
/// </summary>
public sealed class LabeledImages
{
    /// <summary>Wraps already scaled pixels and labels.</summary>
    /// <exception cref="ArgumentException">The array lengths disagree with the shape.</exception>
    public LabeledImages(float[] pixels, byte[] labels, int height, int width)
    {
        if (height <= 0 || width <= 0)
            throw new ArgumentException($"image size must be positive, got {height}x{width}");
        if (pixels.Length != (long)labels.Length * height * width)
            throw new ArgumentException($"{pixels.Length} pixels do not make {labels.Length} images of {height}x{width}");
        Pixels = pixels;
        Labels = labels;
        Height = height;
        Width = width;
    }

    /// <summary>Pixels <c>[Count, 1, Height, Width]</c>, row-major, in [-1, 1].</summary>
    public float[] Pixels { get; }

    /// <summary>Class labels <c>[Count]</c> (0..9 for the MNIST family).</summary>
    public byte[] Labels { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Values per image: 1 x Height x Width.</summary>
    public int PixelsPerImage => Height * Width;

    /// <summary>The image at <paramref name="index"/>: <c>[1, Height, Width]</c> values in [-1, 1].</summary>
    public ReadOnlySpan<float> Image(int index) => Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);

    /// <summary>A new set holding the images at <paramref name="indices"/>, in that order.</summary>
    public LabeledImages Select(IReadOnlyList<int> indices)
    {
        int size = PixelsPerImage;
        var pixels = new float[(long)indices.Count * size];
        var labels = new byte[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            Image(indices[i]).CopyTo(pixels.AsSpan(i * size, size));
            labels[i] = Labels[indices[i]];
        }
        return new LabeledImages(pixels, labels, Height, Width);
    }

    /// <summary>This set followed by <paramref name="other"/> (same image size).</summary>
    /// <exception cref="ArgumentException">The image sizes differ.</exception>
    public LabeledImages Concat(LabeledImages other)
    {
        if (other.Height != Height || other.Width != Width)
            throw new ArgumentException($"cannot join {Height}x{Width} and {other.Height}x{other.Width} images");
        return new LabeledImages([.. Pixels, .. other.Pixels], [.. Labels, .. other.Labels], Height, Width);
    }
}
