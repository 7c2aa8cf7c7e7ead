using System.Diagnostics;
using LatentEbm.Data.Datasets;
using LatentEbm.Data.Imaging;
using LatentEbm.Data.Sources;
using LatentEbm.Tests.Shared;
using Xunit.Abstractions;

namespace LatentEbm.Data.Tests;

/// <summary>
/// CIFAR-10 in both forms: binary batches written here in the original format, and the JPEG tree that
/// <c>make data</c> unpacks into .cache/data/cifar-10 (whose pixels are checked against Pillow's decode).
/// </summary>
public class Cifar10SourceTests(ITestOutputHelper output)
{
    private static readonly string[] Canonical = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
    private readonly string folder = TestPaths.NewTempFolder();

    /// <summary>The JPEG tree of <c>make data</c>. Fails, never skips, when absent.</summary>
    private static string JpegTree
    {
        get
        {
            string root = Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? Path.Combine(TestPaths.RepositoryRoot, ".cache", "data");
            string cifar = Path.Combine(root, "cifar-10");
            if (!Directory.Exists(Path.Combine(cifar, "cifar-10-jpg", "train")))
                throw new InvalidOperationException($"CIFAR-10 is not in {cifar}: run `make data` first (make test does)");
            return cifar;
        }
    }

    private static readonly Lazy<LabeledImages> Test = new(() => new Cifar10Source(JpegTree).Load(DataSplit.Test));

    /// <summary>Record <paramref name="r"/> of a batch: label then R, G, B planes of a known pattern.</summary>
    private static byte[] Batch(int records, int seed, Func<int, byte>? label = null)
    {
        var bytes = new byte[records * Cifar10BinaryReader.RecordBytes];
        for (int r = 0; r < records; r++)
        {
            int at = r * Cifar10BinaryReader.RecordBytes;
            bytes[at] = label?.Invoke(r) ?? (byte)((seed + r) % 10);
            for (int i = 0; i < 3072; i++) bytes[at + 1 + i] = Level(seed, r, i);
        }
        return bytes;
    }

    private static byte Level(int seed, int record, int i) => (byte)((i * 7 + record * 31 + seed * 101) % 256);

    private void WriteBatches(string where, int perBatch = 3)
    {
        Directory.CreateDirectory(where);
        for (int b = 1; b <= 5; b++) File.WriteAllBytes(Path.Combine(where, $"data_batch_{b}.bin"), Batch(perBatch, b));
        File.WriteAllBytes(Path.Combine(where, "test_batch.bin"), Batch(2, 9));
    }

    [Theory]
    [InlineData("")]
    [InlineData("cifar-10-batches-bin")]
    public void BinaryBatchesGiveTheirPixelsPlaneByPlaneAndTheirLabels(string subfolder)
    {
        WriteBatches(Path.Combine(folder, subfolder));
        var source = new Cifar10Source(folder);
        Assert.Equal("binary", source.Form);
        var train = source.Load(DataSplit.Train);
        Assert.Equal(15, train.Count);
        Assert.Equal((3, 32, 32), (train.Channels, train.Height, train.Width));
        Assert.Equal(Canonical, train.ClassNames);
        Assert.Equal([1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 6, 5, 6, 7], train.Labels.Select(l => (int)l));
        for (int n = 0; n < 15; n++)
        {
            var image = train.Image(n);
            for (int i = 0; i < 3072; i++)
                if (image[i] != Level(n / 3 + 1, n % 3, i) / 127.5f - 1f) Assert.Fail($"image {n} value {i}: {image[i]}");
        }
        // Record layout: value i of the record is channel i / 1024 (R, G, B), row (i % 1024) / 32, column i % 32.
        Assert.Equal(Level(1, 0, 1024 + 5 * 32 + 7) / 127.5f - 1f, train.Image(0)[(1 * 32 + 5) * 32 + 7]);
        var test = source.Load(DataSplit.Test);
        Assert.Equal([9, 0], test.Labels.Select(l => (int)l));
        Assert.Equal(Level(9, 1, 3071) / 127.5f - 1f, test.Image(1)[3071]);
    }

    [Theory]
    [InlineData("one byte short", "6145 bytes are not a whole number of 3073-byte CIFAR-10 records (truncated or not a CIFAR-10 batch)")]
    [InlineData("empty", "0 bytes are not a whole number of 3073-byte CIFAR-10 records (truncated or not a CIFAR-10 batch)")]
    [InlineData("label 12", "record 1 has label 12; CIFAR-10 labels are 0..9")]
    public void DamagedBatchesAreRefusedNamingTheFile(string damage, string expected)
    {
        WriteBatches(folder);
        string path = Path.Combine(folder, "data_batch_3.bin");
        File.WriteAllBytes(path, damage switch
        {
            "one byte short" => Batch(2, 3)[..^1],
            "empty" => [],
            "label 12" => Batch(3, 3, r => r == 1 ? (byte)12 : (byte)0),
            _ => throw new ArgumentException(damage),
        });
        var error = Assert.Throws<DataFormatException>(() => new Cifar10Source(folder).Load(DataSplit.Train));
        Assert.Equal(path, error.FilePath);
        Assert.Equal($"{path}: {expected}", error.Message);
        // The test batch is whole: it still reads.
        Assert.Equal(2, new Cifar10Source(folder).Load(DataSplit.Test).Count);
    }

    [Fact]
    public void AMissingBatchIsFileNotFoundNamingIt()
    {
        WriteBatches(folder);
        string path = Path.Combine(folder, "test_batch.bin");
        File.Delete(path);
        var error = Assert.Throws<FileNotFoundException>(() => new Cifar10Source(folder).Load(DataSplit.Test));
        Assert.Equal(path, error.FileName);
        Assert.Contains(path, error.Message);
        Assert.Equal(15, new Cifar10Source(folder).Load(DataSplit.Train).Count);
        var none = Assert.Throws<DirectoryNotFoundException>(() => new Cifar10Source(Path.Combine(folder, "empty")).Load(DataSplit.Train));
        Assert.Contains("run `make data`", none.Message);
    }

    [Fact]
    public void AJpegTreeWithOtherClassesIsRefused()
    {
        foreach (var split in new[] { "train", "test" })
            foreach (var cls in new[] { "cats", "dogs" })
                TestImages.Write(Path.Combine(folder, "cifar-10-jpg", split, cls, "0.jpg"), TestImages.Rgb(32, 32, (x, y) => ((byte)x, (byte)y, 0), SkiaSharp.SKEncodedImageFormat.Jpeg, 90));
        var source = new Cifar10Source(folder);
        Assert.Equal("jpeg", source.Form);
        var error = Assert.Throws<DataFormatException>(() => source.Load(DataSplit.Test));
        Assert.Contains("has class folders cats, dogs; CIFAR-10 has airplane, automobile", error.Message);
    }

    [Fact]
    public void TheJpegTestSplitHas10000ImagesOf1000PerClass()
    {
        var test = Test.Value;
        Assert.Equal(10_000, test.Count);
        Assert.Equal((3, 32, 32), (test.Channels, test.Height, test.Width));
        Assert.Equal(Canonical, test.ClassNames);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(1_000, test.Labels.Count(l => l == c)));
        Assert.Equal(-1f, test.Pixels.Min());
        Assert.Equal(1f, test.Pixels.Max());
        // Real photographs: channel means near CIFAR-10's published ones (0.49, 0.48, 0.45 of 255).
        double[] means = [.. Enumerable.Range(0, 3).Select(c => Enumerable.Range(0, test.Count).Average(n => Mean(test.Image(n).Slice(c * 1024, 1024))))];
        Assert.Equal(0.49, (means[0] + 1) / 2, 0.02);
        Assert.Equal(0.48, (means[1] + 1) / 2, 0.02);
        Assert.Equal(0.45, (means[2] + 1) / 2, 0.02);
    }

    private static double Mean(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values) sum += v;
        return sum / values.Length;
    }

    [Fact]
    public void TheJpegTrainSplitHas50000ImagesOf5000PerClass()
    {
        var watch = Stopwatch.StartNew();
        var train = new Cifar10Source(JpegTree).Load(DataSplit.Train);
        output.WriteLine($"CIFAR-10 train split (50,000 JPEGs) loaded in {watch.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(50_000, train.Count);
        Assert.Equal((3, 32, 32), (train.Channels, train.Height, train.Width));
        Assert.Equal(Canonical, train.ClassNames);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(5_000, train.Labels.Count(l => l == c)));
        // Files are read in class then ordinal file order: image 5000 * c + k is <class c>/kkkk.jpg.
        var expected = new float[3072];
        string cat = Path.Combine(JpegTree, "cifar-10-jpg", "train", "cat", "0042.jpg");
        ImageDecoder.Decode(cat, File.ReadAllBytes(cat), 3, 32, 32, expected);
        Assert.Equal(expected, train.Image(3 * 5_000 + 42).ToArray());
    }

    [Theory]
    [InlineData("test", "airplane", "0000.jpg")]
    [InlineData("test", "truck", "0999.jpg")]
    [InlineData("train", "frog", "0123.jpg")]
    public void ARealJpegDecodesToPillowsPixels(string split, string cls, string file)
    {
        string path = Path.Combine(JpegTree, "cifar-10-jpg", split, cls, file);
        const string code = "import sys\nfrom PIL import Image\nim = Image.open(sys.argv[1])\nassert im.format == 'JPEG' and im.size == (32, 32), (im.format, im.size)\nsys.stdout.write(im.convert('RGB').tobytes().hex())";
        byte[] pillow = Convert.FromHexString(ReferencePython.Run("PIL.Image", "python3-pil", "-c", code, path).Trim());
        var ours = new float[3072];
        ImageDecoder.Decode(path, File.ReadAllBytes(path), 3, 32, 32, ours);
        int differ = 0;
        for (int i = 0; i < 1024; i++)
            for (int c = 0; c < 3; c++)
                if (ours[c * 1024 + i] != pillow[3 * i + c] / 127.5f - 1f) differ++;
        Assert.Equal(0, differ);
        // And the source yields the same pixels for that file.
        if (split == "test")
        {
            int index = Array.IndexOf(Canonical, cls) * 1_000 + int.Parse(file[..4]);
            Assert.Equal(ours, Test.Value.Image(index).ToArray());
        }
        // A different image of the same class does not match (the comparison can fail).
        string other = Path.Combine(Path.GetDirectoryName(path)!, file == "0000.jpg" ? "0001.jpg" : "0000.jpg");
        var wrong = new float[3072];
        ImageDecoder.Decode(other, File.ReadAllBytes(other), 3, 32, 32, wrong);
        Assert.NotEqual(ours, wrong);
    }
}
