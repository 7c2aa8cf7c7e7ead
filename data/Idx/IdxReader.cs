using System.Buffers.Binary;
using System.IO.Compression;

namespace LatentEbm.Data.Idx;

/// <summary>
/// Reads IDX files (the MNIST / Fashion-MNIST container: two zero bytes, an element-type byte,
/// a rank byte, big-endian int32 dimensions, then the values), raw or gzip-compressed.
/// </summary>
/// <remarks>
/// Only unsigned bytes (type 0x08) are supported, the type of every MNIST-family file.
/// Every check failure throws <see cref="IdxFormatException"/> naming the file and the problem:
/// a bad magic number, an unsupported element type, a rank other than the expected one,
/// a non-positive dimension, dimensions whose product exceeds the file (however large), a payload shorter or longer than the dimensions say, or a gzip
/// stream that is itself corrupt.
/// </remarks>
public static class IdxReader
{
    private const byte UnsignedByteType = 0x08;

    /// <summary>Reads <paramref name="path"/> (gzip detected from its first two bytes).</summary>
    /// <param name="path">An IDX file, optionally gzip-compressed.</param>
    /// <param name="expectedRank">When given, the rank the file must have (3 for images, 1 for labels).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IdxFormatException">The file is not a valid unsigned-byte IDX file.</exception>
    public static IdxArray Read(string path, int? expectedRank = null)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"IDX file not found: {path}", path);

        byte[] bytes = ReadAllBytesDecompressed(path);
        if (bytes.Length < 4)
            throw new IdxFormatException(path, $"truncated: {bytes.Length} bytes, shorter than the 4-byte magic number");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new IdxFormatException(path, $"bad magic number 0x{bytes[0]:X2}{bytes[1]:X2}{bytes[2]:X2}{bytes[3]:X2} (must start with 0x0000)");
        if (bytes[2] != UnsignedByteType)
            throw new IdxFormatException(path, $"unsupported element type 0x{bytes[2]:X2} (only unsigned bytes, 0x08, are supported)");

        int rank = bytes[3];
        if (rank == 0)
            throw new IdxFormatException(path, "rank 0 in the magic number");
        if (expectedRank is int want && rank != want)
            throw new IdxFormatException(path, $"rank {rank}, expected {want}");

        int headerLength = 4 + 4 * rank;
        if (bytes.Length < headerLength)
            throw new IdxFormatException(path, $"truncated header: {bytes.Length} bytes, need {headerLength} for rank {rank}");

        var shape = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i, 4));
            if (shape[i] <= 0)
                throw new IdxFormatException(path, $"dimension {i} is {shape[i]}; dimensions must be positive");
        }

        long payload = bytes.Length - headerLength;
        // The product of up to 255 int32 dimensions overflows a long: multiply checked, and stop as soon
        // as it passes the payload (the file cannot hold it), before anything is allocated for it.
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            count = checked(count * shape[i]);
            if (count > payload)
                throw new IdxFormatException(path, $"truncated: dimensions [{string.Join(", ", shape)}] need {(i == rank - 1 ? "" : "at least ")}{count} data bytes, found {payload}");
        }
        if (payload > count)
            throw new IdxFormatException(path, $"{payload - count} unexpected bytes after the {count} data bytes of dimensions [{string.Join(", ", shape)}]");

        return new IdxArray(path, shape, bytes.AsSpan(headerLength).ToArray());
    }

    private static byte[] ReadAllBytesDecompressed(string path)
    {
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length < 2 || raw[0] != 0x1F || raw[1] != 0x8B)
            return raw;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var output = new MemoryStream();
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new IdxFormatException(path, $"corrupt gzip stream ({e.Message})");
        }
    }
}
