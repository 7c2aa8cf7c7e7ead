using System.IO.Compression;
using LatentEbm.Data.Datasets;
using LatentEbm.Data.Mat;
using LatentEbm.Data.Sources;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Data.Tests;

/// <summary>
/// SVHN MAT-files: the committed fixtures and files scipy.io.savemat writes now
/// (tests/fixtures/make_svhn_mat.py) hold the known pixels and labels; damaged files are refused.
/// </summary>
public class SvhnSourceTests
{
    private const int N = 7;
    private static readonly byte[] Digits = [0, 1, 5, 9, 2, 0, 7]; // SVHN labels 10 1 5 9 2 10 7
    private readonly string folder = TestPaths.NewTempFolder();

    /// <summary>The folder make_svhn_mat.py wrote its files into (once per test run).</summary>
    private static readonly Lazy<(string Folder, string Output)> Scipy = new(() =>
    {
        string folder = TestPaths.NewTempFolder();
        return (folder, ReferencePython.Run("scipy.io", "python3-scipy", TestPaths.Fixture("make_svhn_mat.py"), folder));
    });

    /// <summary>make_svhn_mat.py's X(row, col, channel, n).</summary>
    private static byte Pixel(int row, int col, int channel, int n) =>
        (row, col, channel, n) == (31, 31, 2, 6) ? (byte)255 : (byte)((3 * row + 5 * col + 71 * channel + 29 * n) % 256);

    /// <summary>X's values in MATLAB's column-major order (row fastest).</summary>
    private static double[] ColumnMajorX(int n = N, int channels = 3)
    {
        var values = new double[32 * 32 * channels * n];
        for (int k = 0; k < n; k++)
            for (int c = 0; c < channels; c++)
                for (int col = 0; col < 32; col++)
                    for (int row = 0; row < 32; row++)
                        values[row + 32 * (col + 32 * (c + channels * k))] = Pixel(row, col, c, k);
        return values;
    }

    private static void AssertKnownImages(LabeledImages images)
    {
        Assert.Equal(N, images.Count);
        Assert.Equal((3, 32, 32), (images.Channels, images.Height, images.Width));
        Assert.Equal(SvhnSource.ClassNames, images.ClassNames);
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], images.ClassNames);
        Assert.Equal(Digits, images.Labels);
        for (int n = 0; n < N; n++)
        {
            var image = images.Image(n);
            for (int c = 0; c < 3; c++)
                for (int row = 0; row < 32; row++)
                    for (int col = 0; col < 32; col++)
                    {
                        float expected = Pixel(row, col, c, n) / 127.5f - 1f;
                        float actual = image[(c * 32 + row) * 32 + col];
                        if (actual != expected) Assert.Fail($"image {n} channel {c} row {row} col {col}: {actual}, expected {expected}");
                    }
        }
        Assert.Equal(-1f, images.Image(0)[0]);          // X(1,1,1,1) = 0
        Assert.Equal(1f, images.Image(6)[3 * 1024 - 1]); // X(32,32,3,7) = 255
    }

    [Fact]
    public void ThePixelPatternTellsRowsFromColumnsAndChannelsFromImages()
    {
        // A reader that swapped rows and columns, or channels and images, would read other values.
        Assert.NotEqual(Pixel(1, 2, 0, 0), Pixel(2, 1, 0, 0));
        Assert.NotEqual(Pixel(0, 0, 1, 2), Pixel(0, 0, 2, 1));
        Assert.NotEqual(Pixel(0, 0, 0, 1), Pixel(0, 0, 1, 0));
    }

    [Theory]
    [InlineData("svhn-compressed-yuint8.mat")]
    [InlineData("svhn-plain-ydouble.mat")]
    public void CommittedScipyFixturesHoldTheKnownPixelsAndLabels(string fixture)
    {
        AssertKnownImages(SvhnSource.Read(TestPaths.Fixture(fixture)));
    }

    [Fact]
    public void FilesScipyWritesNowHoldTheSameValuesAsTheCommittedOnes()
    {
        var (scipy, output) = Scipy.Value;
        Assert.Contains("wrote 10 files", output);
        var committed = SvhnSource.Read(TestPaths.Fixture("svhn-compressed-yuint8.mat"));
        foreach (string name in new[] { "svhn-compressed-yuint8.mat", "svhn-compressed-ydouble.mat", "svhn-plain-yuint8.mat", "svhn-plain-ydouble.mat", "svhn-extras.mat" })
        {
            var fresh = SvhnSource.Read(Path.Combine(scipy, name));
            AssertKnownImages(fresh);
            Assert.Equal(committed.Pixels, fresh.Pixels);
            Assert.Equal(committed.Labels, fresh.Labels);
        }
        var y = MatFileReader.Read(Path.Combine(scipy, "svhn-plain-ydouble.mat"), "y")["y"];
        Assert.Equal((MatClass.Double, "7x1"), (y.Class, y.DimensionsText));
        y = MatFileReader.Read(Path.Combine(scipy, "svhn-compressed-yuint8.mat"), "y")["y"];
        Assert.Equal((MatClass.UInt8, "7x1"), (y.Class, y.DimensionsText));
    }

    [Theory]
    [InlineData("svhn-label11.mat", "label 11 at index 3 is not a whole number in 1..10")]
    [InlineData("svhn-count-mismatch.mat", "y holds 6 labels for the 7 images of X")]
    [InlineData("svhn-x-double.mat", "X is double 32x32x3x7; SVHN's X is uint8 32x32x3xN")]
    [InlineData("svhn-x-wrong-shape.mat", "X is uint8 32x32x4x7")]
    [InlineData("svhn-no-y.mat", "has no variable y")]
    public void ScipyFilesWithWrongContentAreRefusedNamingFileAndProblem(string name, string expected)
    {
        string path = Path.Combine(Scipy.Value.Folder, name);
        var error = Assert.Throws<DataFormatException>(() => SvhnSource.Read(path));
        Assert.Equal(path, error.FilePath);
        Assert.Contains(expected, error.Message);
        Assert.StartsWith(path, error.Message);
    }

    [Fact]
    public void NonNumericVariablesAreSkippedUnlessAskedFor()
    {
        string path = Path.Combine(Scipy.Value.Folder, "svhn-extras.mat");
        Assert.Equal(["X", "y"], MatFileReader.Read(path, "X", "y", "absent").Keys.Order());
        var error = Assert.Throws<DataFormatException>(() => MatFileReader.Read(path, "note"));
        Assert.Contains("variable 'note' is a char array; only numeric arrays are read", error.Message);
        error = Assert.Throws<DataFormatException>(() => MatFileReader.Read(path, "meta"));
        Assert.Contains("variable 'meta' is a struct array", error.Message);
        error = Assert.Throws<DataFormatException>(() => MatFileReader.Read(path, "parts"));
        Assert.Contains("variable 'parts' is a cell array", error.Message);
    }

    private string Damaged(string fixture, Func<byte[], byte[]> damage)
    {
        string path = Path.Combine(folder, "damaged-" + fixture);
        File.WriteAllBytes(path, damage(File.ReadAllBytes(TestPaths.Fixture(fixture))));
        return path;
    }

    /// <summary>The first miCOMPRESSED element of a scipy file: (offset of its data, its length).</summary>
    private static (int Data, int Length) FirstCompressed(byte[] file)
    {
        Assert.Equal(15, BitConverter.ToInt32(file, 128));
        return (136, BitConverter.ToInt32(file, 132));
    }

    [Theory]
    [InlineData("svhn-compressed-yuint8.mat", "cut in the middle", "truncated: the miCOMPRESSED element claims")]
    [InlineData("svhn-plain-ydouble.mat", "cut in the middle", "truncated: the miMATRIX element claims")]
    [InlineData("svhn-plain-ydouble.mat", "cut inside a tag", "truncated: 4 bytes, shorter than a data element tag")]
    [InlineData("svhn-plain-ydouble.mat", "header only half there", "truncated: 64 bytes, shorter than the 128-byte MAT-file header")]
    [InlineData("svhn-plain-ydouble.mat", "not MATLAB text", "is not a Level 5 MAT-file (its header does not begin with 'MATLAB 5.0 MAT-file')")]
    [InlineData("svhn-plain-ydouble.mat", "MATLAB 7.3 text", "is a MATLAB 7.3 (HDF5) MAT-file")]
    [InlineData("svhn-plain-ydouble.mat", "endian indicator XX", "bad endian indicator 0x5858")]
    [InlineData("svhn-plain-ydouble.mat", "version 0x0200", "MAT-file header version 0x0200")]
    [InlineData("svhn-compressed-yuint8.mat", "zlib bytes overwritten", "corrupt zlib stream")]
    [InlineData("svhn-compressed-yuint8.mat", "zlib checksum wrong", "corrupt zlib stream")]
    [InlineData("svhn-compressed-yuint8.mat", "zlib stream cut short", "corrupt zlib stream")]
    [InlineData("svhn-plain-ydouble.mat", "X's byte count changed", "variable 'X' holds 21503 bytes of miUINT8 (21503 values); its dimensions 32x32x3x7 need 21504")]
    [InlineData("svhn-plain-ydouble.mat", "X's byte count too large", "the real part of variable 'X' claims 22000 bytes")]
    [InlineData("svhn-plain-ydouble.mat", "array flags wrong type", "array flags are 8 bytes of miINT32, not 8 bytes of miUINT32")]
    public void DamagedFilesAreRefusedNamingFileAndProblem(string fixture, string damage, string expected)
    {
        string path = Damaged(fixture, bytes =>
        {
            switch (damage)
            {
                case "cut in the middle": return bytes[..(bytes.Length / 2)];
                case "cut inside a tag": return [.. bytes, 0, 0, 0, 0];
                case "header only half there": return bytes[..64];
                case "not MATLAB text": bytes[5] = (byte)'X'; return bytes;
                case "MATLAB 7.3 text": "MATLAB 7.3 MAT-file"u8.CopyTo(bytes); return bytes;
                case "endian indicator XX": bytes[126] = bytes[127] = (byte)'X'; return bytes;
                case "version 0x0200": bytes[124] = 0; bytes[125] = 2; return bytes;
                case "zlib bytes overwritten":
                {
                    var (data, length) = FirstCompressed(bytes);
                    for (int i = data + length / 3; i < data + length / 3 + 16; i++) bytes[i] ^= 0x5A;
                    return bytes;
                }
                case "zlib checksum wrong":
                {
                    var (data, length) = FirstCompressed(bytes);
                    bytes[data + length - 1] ^= 0xFF; // the last byte of the Adler-32 checksum
                    return bytes;
                }
                case "zlib stream cut short":
                {
                    // The element's length is cut with the data, so the file is whole but the stream is not.
                    var (data, length) = FirstCompressed(bytes);
                    int keep = length / 2;
                    BitConverter.GetBytes(keep).CopyTo(bytes, 132);
                    return [.. bytes[..(data + keep)], .. bytes[(data + length)..]];
                }
                case "X's byte count changed": return SetRealPartBytes(bytes, 21503);
                case "X's byte count too large": return SetRealPartBytes(bytes, 22000);
                case "array flags wrong type": bytes[136] = 5; return bytes;
                default: throw new ArgumentException(damage);
            }
        });
        var error = Assert.Throws<DataFormatException>(() => SvhnSource.Read(path));
        Assert.Equal(path, error.FilePath);
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    /// <summary>Sets the byte count of X's real part (scipy's uncompressed layout: flags 16, dims 24, name 8 bytes).</summary>
    private static byte[] SetRealPartBytes(byte[] bytes, int count)
    {
        int tag = 128 + 8 + 16 + 24 + 8;
        Assert.Equal(2, BitConverter.ToInt32(bytes, tag)); // miUINT8
        Assert.Equal(21504, BitConverter.ToInt32(bytes, tag + 4));
        BitConverter.GetBytes(count).CopyTo(bytes, tag + 4);
        return bytes;
    }

    [Fact]
    public void TheUndamagedFixturesPassTheChecksTheDamagedOnesFail()
    {
        // The damage tests above start from these files: unchanged, they read.
        foreach (string fixture in new[] { "svhn-compressed-yuint8.mat", "svhn-plain-ydouble.mat" })
            Assert.Equal(N, SvhnSource.Read(Damaged(fixture, b => b)).Count);
    }

    [Fact]
    public void TheTestWriterLaysOutFilesAsScipyDoes()
    {
        // MatBuilder's little-endian output equals scipy's bytes after the header (whose text holds a date),
        // so its big-endian and MATLAB-style files below differ from real ones only where they mean to.
        byte[] scipy = File.ReadAllBytes(TestPaths.Fixture("svhn-plain-ydouble.mat"));
        byte[] built = new MatBuilder(bigEndian: false)
            .Matrix("X", MatClass.UInt8, [32, 32, 3, N], MatDataType.MiUInt8, ColumnMajorX())
            .Matrix("y", MatClass.Double, [N, 1], MatDataType.MiDouble, [10, 1, 5, 9, 2, 10, 7])
            .Build();
        Assert.Equal(scipy.Length, built.Length);
        Assert.Equal(scipy[128..], built[128..]);
        Assert.Equal(scipy[124..128], built[124..128]);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void BigEndianFilesAndMatlabNarrowStorageReadTheSameValues(bool bigEndian, bool compressed)
    {
        // MATLAB stores a double array of small integers as miUINT8 (here y), and single as miINT16.
        var builder = new MatBuilder(bigEndian);
        double[] x = ColumnMajorX();
        double[] y = [10, 1, 5, 9, 2, 10, 7];
        if (compressed) builder.Compressed("X", MatClass.UInt8, [32, 32, 3, N], MatDataType.MiUInt8, x).Compressed("y", MatClass.Double, [N, 1], MatDataType.MiUInt8, y);
        else builder.Matrix("X", MatClass.UInt8, [32, 32, 3, N], MatDataType.MiUInt8, x).Matrix("y", MatClass.Double, [N, 1], MatDataType.MiUInt8, y);
        builder.Matrix("s", MatClass.Single, [1, 3], MatDataType.MiInt16, [-300, 0, 1234])
               .Matrix("i", MatClass.Int32, [3, 1], MatDataType.MiInt32, [-70000, 5, 2_000_000_000])
               .Matrix("d", MatClass.Double, [2, 2], MatDataType.MiDouble, [0.5, -1.25, 1e300, 3]);
        string path = Path.Combine(folder, "built.mat");
        File.WriteAllBytes(path, builder.Build());

        AssertKnownImages(SvhnSource.Read(path));
        var vars = MatFileReader.Read(path, "y", "s", "i", "d");
        Assert.Equal(MatClass.Double, vars["y"].Class);
        Assert.Equal(y, (double[])vars["y"].Values);
        Assert.Equal([-300f, 0f, 1234f], (float[])vars["s"].Values);
        Assert.Equal([-70000, 5, 2_000_000_000], (int[])vars["i"].Values);
        Assert.Equal([0.5, -1.25, 1e300, 3], (double[])vars["d"].Values);
        Assert.Equal([2, 2], vars["d"].Dimensions);
    }

    [Fact]
    public void OneImageWithoutItsTrailingDimensionReads()
    {
        // MATLAB drops trailing singleton dimensions: one image is 32x32x3, its label a 1x1 in the small element format.
        string path = Path.Combine(folder, "one.mat");
        File.WriteAllBytes(path, new MatBuilder(false)
            .Matrix("X", MatClass.UInt8, [32, 32, 3], MatDataType.MiUInt8, ColumnMajorX(1))
            .Matrix("y", MatClass.UInt8, [1, 1], MatDataType.MiUInt8, [4]).Build());
        var images = SvhnSource.Read(path);
        Assert.Equal(1, images.Count);
        Assert.Equal([(byte)4], images.Labels);
        Assert.Equal(Pixel(3, 7, 2, 0) / 127.5f - 1f, images.Image(0)[(2 * 32 + 3) * 32 + 7]);
    }

    [Theory]
    [InlineData("complex X", "variable 'X' is complex; only real arrays are read")]
    [InlineData("uint8 class holding 300", "variable 'y' stores 300 at position 2, which its class uint8 cannot hold")]
    [InlineData("label 2.5", "label 2.5 at index 1 is not a whole number in 1..10")]
    [InlineData("label 0", "label 0 at index 0 is not a whole number in 1..10")]
    [InlineData("y a matrix", "y is double 7x2; SVHN's y is a vector Nx1")]
    [InlineData("X twice", "a second variable 'X'")]
    [InlineData("a stray element", "a miDOUBLE element where a variable (miMATRIX or miCOMPRESSED) was expected")]
    [InlineData("negative dimension", "variable 'y' has a negative dimension (7x-1)")]
    [InlineData("a compressed element holding more", "the zlib stream goes on after its miMATRIX element of 104 bytes")]
    [InlineData("inflation beyond zlib's", "its miMATRIX claims 1073741824 bytes, more than 16 compressed bytes can hold (corrupt)")]
    public void WrongVariablesAreRefused(string damage, string expected)
    {
        var b = new MatBuilder(false);
        double[] x = ColumnMajorX();
        double[] y = [10, 1, 5, 9, 2, 10, 7];
        b.Matrix("X", MatClass.UInt8, [32, 32, 3, N], MatDataType.MiUInt8, x, complex: damage == "complex X");
        switch (damage)
        {
            case "uint8 class holding 300": b.Matrix("y", MatClass.UInt8, [N, 1], MatDataType.MiDouble, [10, 1, 300, 9, 2, 10, 7]); break;
            case "label 2.5": b.Matrix("y", MatClass.Double, [N, 1], MatDataType.MiDouble, [10, 2.5, 5, 9, 2, 10, 7]); break;
            case "label 0": b.Matrix("y", MatClass.Double, [N, 1], MatDataType.MiDouble, [0, 1, 5, 9, 2, 10, 7]); break;
            case "y a matrix": b.Matrix("y", MatClass.Double, [N, 2], MatDataType.MiDouble, [.. y, .. y]); break;
            case "X twice": b.Matrix("y", MatClass.Double, [N, 1], MatDataType.MiDouble, y).Matrix("X", MatClass.UInt8, [32, 32, 3, N], MatDataType.MiUInt8, x); break;
            case "a stray element": b.Raw(b.Element(MatDataType.MiDouble, new byte[8])); break;
            case "negative dimension": b.Matrix("y", MatClass.Double, [N, -1], MatDataType.MiDouble, []); break;
            case "a compressed element holding more":
            {
                var longer = new MemoryStream();
                using (var zlib = new ZLibStream(longer, CompressionLevel.Optimal, leaveOpen: true))
                    zlib.Write([.. b.MatrixElement("y", MatClass.Double, [N, 1], MatDataType.MiDouble, y, false), 1, 2, 3]);
                Assert.True(longer.Length < 256);
                b.Raw([15, 0, 0, 0, (byte)longer.Length, 0, 0, 0, .. longer.ToArray()]);
                break;
            }
            case "inflation beyond zlib's":
                // A miCOMPRESSED element of 16 bytes whose stream claims a 1 GB miMATRIX.
                var output = new MemoryStream();
                using (var zlib = new ZLibStream(output, CompressionLevel.NoCompression, leaveOpen: true)) zlib.Write([14, 0, 0, 0, 0, 0, 0, 0x40]);
                Assert.Equal(2 + 5 + 8 + 4, output.Length); // zlib header, one stored block, the tag, Adler-32
                b.Raw([15, 0, 0, 0, 16, 0, 0, 0, .. output.ToArray()[..16]]);
                break;
            default: b.Matrix("y", MatClass.Double, [N, 1], MatDataType.MiDouble, y); break;
        }
        string path = Path.Combine(folder, "wrong.mat");
        File.WriteAllBytes(path, b.Build());
        var error = Assert.Throws<DataFormatException>(() => SvhnSource.Read(path));
        Assert.Equal(path, error.FilePath);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void TheSourceReadsItsSplitsFromTheFolderAndNamesAMissingFile()
    {
        string svhn = Path.Combine(folder, "svhn");
        Directory.CreateDirectory(svhn);
        File.Copy(TestPaths.Fixture("svhn-compressed-yuint8.mat"), Path.Combine(svhn, "test_32x32.mat"));
        var source = ImageSources.Open(DatasetName.Svhn, folder);
        Assert.IsType<SvhnSource>(source);
        Assert.Equal(svhn, source.Location);
        AssertKnownImages(source.Load(DataSplit.Test));
        var error = Assert.Throws<FileNotFoundException>(() => source.Load(DataSplit.Train));
        Assert.Equal(Path.Combine(svhn, "train_32x32.mat"), error.FileName);
        Assert.Contains("train_32x32.mat", error.Message);
        Assert.Contains("http://ufldl.stanford.edu/housenumbers/", error.Message);
        Assert.Throws<FileNotFoundException>(() => MatFileReader.Read(Path.Combine(svhn, "absent.mat"), "X"));
    }
}
