using LatentEbm.Data.Observations;

namespace LatentEbm.Data.Datasets;

/// <summary>
/// Images with integer class labels, held as one row-major float array
/// <c>[Count, C, Height, Width]</c> with pixel values scaled from 0..255 to [-1, 1]
/// (x / 127.5 - 1, the scaling of PAPER.md), channels in RGB order for colour images.
/// </summary>
public sealed class LabeledImages
{
    /// <summary>Wraps already scaled grey-scale pixels and labels (<c>[Count, 1, H, W]</c>).</summary>
    /// <exception cref="ArgumentException">The array lengths disagree with the shape.</exception>
    public LabeledImages(float[] pixels, byte[] labels, int height, int width)
        : this(pixels, labels, 1, height, width, null)
    {
    }

    /// <summary>Wraps already scaled pixels <c>[Count, C, H, W]</c> and labels.</summary>
    /// <param name="pixels">Row-major values in [-1, 1].</param>
    /// <param name="labels">Class index per image.</param>
    /// <param name="channels">C (1 grey, 3 RGB).</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="classNames">Name per class index, or null for the digits 0..9.</param>
    /// <exception cref="ArgumentException">The array lengths disagree with the shape, or a label has no class name.</exception>
    public LabeledImages(float[] pixels, byte[] labels, int channels, int height, int width, IReadOnlyList<string>? classNames)
    {
        if (channels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"image shape must be positive, got [{channels}, {height}, {width}]");
        if (pixels.Length != (long)labels.Length * channels * height * width)
            throw new ArgumentException($"{pixels.Length} pixels do not make {labels.Length} images of [{channels}, {height}, {width}]");
        ClassNames = classNames ?? [.. Enumerable.Range(0, 10).Select(d => d.ToString())];
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= ClassNames.Count)
                throw new ArgumentException($"label {labels[i]} at index {i} has no class name (classes: {ClassNames.Count})");
        Pixels = pixels;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
    }

    /// <summary>Pixels <c>[Count, C, Height, Width]</c>, row-major, in [-1, 1].</summary>
    public float[] Pixels { get; }

    /// <summary>Class labels <c>[Count]</c>, indices into <see cref="ClassNames"/>.</summary>
    public byte[] Labels { get; }

    /// <summary>Name of each class index (the digits "0".."9" for the MNIST family).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Channels C (1 grey, 3 RGB).</summary>
    public int Channels { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Values per image: C x Height x Width.</summary>
    public int PixelsPerImage => Channels * Height * Width;

    /// <summary>The observation spec of these images: kind image, <c>[C, H, W]</c>, range [-1, 1].</summary>
    public ObservationSpec Observation => ObservationSpec.Image(Channels, Height, Width);

    /// <summary>The image at <paramref name="index"/>: <c>[C, Height, Width]</c> values in [-1, 1].</summary>
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
        return new LabeledImages(pixels, labels, Channels, Height, Width, ClassNames);
    }

    /// <summary>This set followed by <paramref name="other"/> (same shape and classes).</summary>
    /// <exception cref="ArgumentException">The image shapes or class names differ.</exception>
    public LabeledImages Concat(LabeledImages other)
    {
        if (other.Channels != Channels || other.Height != Height || other.Width != Width)
            throw new ArgumentException($"cannot join [{Channels}, {Height}, {Width}] and [{other.Channels}, {other.Height}, {other.Width}] images");
        if (!other.ClassNames.SequenceEqual(ClassNames))
            throw new ArgumentException("cannot join images whose class names differ");
        return new LabeledImages([.. Pixels, .. other.Pixels], [.. Labels, .. other.Labels], Channels, Height, Width, ClassNames);
    }

    /// <summary>
    /// The class index named by <paramref name="nameOrIndex"/>: a class name (e.g. <c>cat</c>,
    /// case-insensitive) or an index into <see cref="ClassNames"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No such class; the message lists the classes.</exception>
    public int ClassIndex(string nameOrIndex) => ClassIndex(ClassNames, nameOrIndex);

    /// <summary>The index of the class named <paramref name="nameOrIndex"/> (a name, case-insensitive, or an index) in <paramref name="classNames"/>.</summary>
    /// <exception cref="ArgumentException">No such class; the message lists the classes.</exception>
    public static int ClassIndex(IReadOnlyList<string> classNames, string nameOrIndex)
    {
        for (int i = 0; i < classNames.Count; i++)
            if (string.Equals(classNames[i], nameOrIndex, StringComparison.OrdinalIgnoreCase)) return i;
        if (int.TryParse(nameOrIndex, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index) && index < classNames.Count)
            return index;
        throw new ArgumentException($"no class '{nameOrIndex}'; the classes are {string.Join(", ", classNames.Select((n, i) => $"{i} {n}"))}");
    }
}
