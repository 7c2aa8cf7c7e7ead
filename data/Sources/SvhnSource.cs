using LatentEbm.Data.Datasets;
using LatentEbm.Data.Mat;

namespace LatentEbm.Data.Sources;

/// <summary>
/// SVHN, the Street View House Numbers in their cropped-digit form (Netzer et al. 2011,
/// http://ufldl.stanford.edu/housenumbers/): <c>train_32x32.mat</c> (73,257 images) and
/// <c>test_32x32.mat</c> (26,032), Level 5 MAT-files (<see cref="MatFileReader"/>) holding <c>X</c>,
/// uint8 <c>[32, 32, 3, N]</c> indexed <c>X(row, column, channel, image)</c> in MATLAB's column-major
/// order, and <c>y</c>, <c>[N, 1]</c> (double or uint8) with labels 1..10 where 10 is the digit 0.
/// Yields <see cref="LabeledImages"/> <c>[N, 3, 32, 32]</c> RGB on [-1, 1] (x / 127.5 - 1) with
/// classes "0".."9" (label 10 becomes class 0). The optional <c>extra_32x32.mat</c> is not read.
/// </summary>
public sealed class SvhnSource : IImageSource
{
    /// <summary>SVHN's class names by class index: the digits.</summary>
    public static readonly IReadOnlyList<string> ClassNames = [.. Enumerable.Range(0, 10).Select(d => d.ToString())];

    /// <summary>Image side in pixels.</summary>
    public const int Side = 32;

    /// <summary>Opens the folder <paramref name="folder"/> holding <c>train_32x32.mat</c> and <c>test_32x32.mat</c>.</summary>
    public SvhnSource(string folder) => Location = folder;

    /// <inheritdoc />
    public DatasetName Name => DatasetName.Svhn;

    /// <inheritdoc />
    public string Location { get; }

    /// <summary>The file of <paramref name="split"/>: <c>train_32x32.mat</c> or <c>test_32x32.mat</c>.</summary>
    public static string FileName(DataSplit split) => split == DataSplit.Train ? "train_32x32.mat" : "test_32x32.mat";

    /// <inheritdoc />
    /// <exception cref="FileNotFoundException">The split's file is not in the folder; the message names it and where to get it.</exception>
    public LabeledImages Load(DataSplit split)
    {
        string path = Path.Combine(Location, FileName(split));
        if (!File.Exists(path))
            throw new FileNotFoundException($"SVHN file not found: {path} (download {FileName(split)} from http://ufldl.stanford.edu/housenumbers/ into {Location})", path);
        return Read(path);
    }

    /// <summary>Reads one SVHN MAT-file (either split, any number of images).</summary>
    /// <param name="path">A MAT-file holding <c>X</c> and <c>y</c> as SVHN's do.</param>
    /// <returns>Images <c>[N, 3, 32, 32]</c> on [-1, 1] and their digit classes 0..9.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The MAT-file is damaged (<see cref="MatFileReader.Read"/>); X or y is missing; X is not uint8 <c>[32, 32, 3, N]</c>; y is not an <c>[N, 1]</c> or <c>[1, N]</c> vector of N labels; or a label is not a whole number in 1..10. The message names the file and the problem.</exception>
    public static LabeledImages Read(string path)
    {
        var variables = MatFileReader.Read(path, "X", "y");
        if (!variables.TryGetValue("X", out var x)) throw new DataFormatException(path, "has no variable X (SVHN's images)");
        if (!variables.TryGetValue("y", out var y)) throw new DataFormatException(path, "has no variable y (SVHN's labels)");

        // MATLAB drops a trailing singleton dimension, so one image is 32x32x3.
        var d = x.Dimensions;
        bool shapeOk = d.Count is 3 or 4 && d[0] == Side && d[1] == Side && d[2] == 3;
        if (x.Class != MatClass.UInt8 || !shapeOk)
            throw new DataFormatException(path, $"X is {MatClasses.Describe(x.Class)} {x.DimensionsText}; SVHN's X is uint8 32x32x3xN");
        int count = d.Count == 4 ? d[3] : 1;

        if (y.Dimensions.Count != 2 || (y.Dimensions[1] != 1 && y.Dimensions[0] != 1))
            throw new DataFormatException(path, $"y is {MatClasses.Describe(y.Class)} {y.DimensionsText}; SVHN's y is a vector Nx1");
        if (y.Count != count)
            throw new DataFormatException(path, $"y holds {y.Count} labels for the {count} images of X");

        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            double label = y.ValueAt(i);
            if (!(label >= 1 && label <= 10 && label == Math.Floor(label)))
                throw new DataFormatException(path, $"label {label} at index {i} is not a whole number in 1..10 (SVHN's labels; 10 is the digit 0)");
            labels[i] = (byte)(label % 10);
        }

        // X(row, col, channel, n) column-major: each 32x32 plane has the row varying fastest; the
        // output plane is row-major, so every plane is transposed.
        var bytes = (byte[])x.Values;
        const int plane = Side * Side;
        var pixels = new float[(long)count * 3 * plane];
        Parallel.For(0, count * 3, p =>
        {
            var source = bytes.AsSpan(p * plane, plane);
            var target = pixels.AsSpan(p * plane, plane);
            for (int col = 0; col < Side; col++)
                for (int row = 0; row < Side; row++)
                    target[row * Side + col] = source[col * Side + row] / 127.5f - 1f;
        });
        return new LabeledImages(pixels, labels, 3, Side, Side, ClassNames);
    }
}
