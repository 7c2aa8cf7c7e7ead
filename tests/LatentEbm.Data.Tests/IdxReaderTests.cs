using System.Buffers.Binary;
using System.IO.Compression;
using LatentEbm.Data.Datasets;
using LatentEbm.Data.Idx;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Data.Tests;

public class IdxReaderTests
{
    private readonly string folder = TestPaths.NewTempFolder();

    private static byte[] Idx(int[] shape, byte elementType = 0x08, int? payload = null)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var bytes = new byte[4 + 4 * shape.Length + (payload ?? (int)count)];
        bytes[2] = elementType;
        bytes[3] = (byte)shape.Length;
        for (int i = 0; i < shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), shape[i]);
        for (int i = 4 + 4 * shape.Length; i < bytes.Length; i++) bytes[i] = (byte)(i * 7);
        return bytes;
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(bytes);
        return output.ToArray();
    }

    [Fact]
    public void ReadsShapeAndValuesOfARawFile()
    {
        var bytes = Idx([3, 2, 4]);
        var array = IdxReader.Read(Write("ok", bytes), expectedRank: 3);
        Assert.Equal([3, 2, 4], array.Shape);
        Assert.Equal(bytes.AsSpan(16).ToArray(), array.Data);
    }

    [Fact]
    public void ReadsTheSameValuesFromAGzippedFile()
    {
        var bytes = Idx([5, 3]);
        var raw = IdxReader.Read(Write("raw", bytes));
        var gz = IdxReader.Read(Write("raw.gz", Gzip(bytes)));
        Assert.Equal(raw.Shape, gz.Shape);
        Assert.Equal(raw.Data, gz.Data);
    }

    [Theory]
    [InlineData("truncated payload", "truncated")]
    [InlineData("extra bytes", "unexpected bytes")]
    [InlineData("bad magic", "bad magic number")]
    [InlineData("float type", "unsupported element type 0x0D")]
    [InlineData("wrong rank", "rank 2, expected 3")]
    [InlineData("zero dimension", "dimension 1 is 0")]
    [InlineData("truncated header", "truncated header")]
    [InlineData("tiny", "shorter than the 4-byte magic number")]
    [InlineData("overflowing dimensions", "need at least 65536 data bytes, found 0")]
    public void DamagedFilesThrowATypedErrorNamingFileAndProblem(string damage, string expected)
    {
        byte[] bytes = damage switch
        {
            "truncated payload" => Idx([10, 2, 2], payload: 39),
            "extra bytes" => Idx([10, 2, 2], payload: 41),
            "bad magic" => [.. new byte[] { 1, 0 }, .. Idx([2, 2, 2]).AsSpan(2).ToArray()],
            "float type" => Idx([2, 2, 2], elementType: 0x0D),
            "wrong rank" => Idx([4, 4]),
            "zero dimension" => Idx([4, 0, 4], payload: 0),
            "truncated header" => Idx([4, 4, 4]).AsSpan(0, 10).ToArray(),
            "tiny" => [0, 0],
            // 65536^4 = 2^64 wraps to 0 in unchecked long arithmetic: an empty payload used to "fit".
            "overflowing dimensions" => Idx([65536, 65536, 65536, 65536], payload: 0),
            _ => throw new ArgumentException(damage),
        };
        string path = Write(damage.Replace(' ', '-'), bytes);
        var error = Assert.Throws<IdxFormatException>(() => IdxReader.Read(path, expectedRank: damage == "overflowing dimensions" ? 4 : 3));
        Assert.Equal(path, error.FilePath);
        Assert.Contains(expected, error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void ATruncatedGzipStreamIsReportedAsTruncatedOrCorrupt()
    {
        var gz = Gzip(Idx([50, 10, 10]));
        string path = Write("cut.gz", gz.AsSpan(0, gz.Length / 2).ToArray());
        var error = Assert.Throws<IdxFormatException>(() => IdxReader.Read(path));
        Assert.Matches("truncated|corrupt gzip", error.Problem);
    }

    [Fact]
    public void AMissingFileIsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => IdxReader.Read(Path.Combine(folder, "absent")));
    }

    [Fact]
    public void ImagesAndLabelsOfDifferentCountsAreRejectedNamingBothFiles()
    {
        Write("train-images-idx3-ubyte", Idx([4, 2, 2]));
        Write("train-labels-idx1-ubyte", Idx([3]).Select((b, i) => i >= 8 ? (byte)1 : b).ToArray());
        var error = Assert.Throws<IdxFormatException>(() => ImageDatasets.LoadSplit(folder, train: true));
        Assert.Contains("3 labels for the 4 images", error.Message);
        Assert.Contains("train-labels-idx1-ubyte", error.FilePath);
    }

    [Fact]
    public void ALabelAboveNineIsRejected()
    {
        Write("t10k-images-idx3-ubyte", Idx([2, 2, 2]));
        var labels = Idx([2]);
        labels[8] = 3; labels[9] = 12;
        Write("t10k-labels-idx1-ubyte", labels);
        var error = Assert.Throws<IdxFormatException>(() => ImageDatasets.LoadSplit(folder, train: false));
        Assert.Contains("label 12 at index 1", error.Message);
    }
}
