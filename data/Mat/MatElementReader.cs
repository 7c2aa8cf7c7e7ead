using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using LatentEbm.Data.Sources;

namespace LatentEbm.Data.Mat;

/// <summary>
/// Reads the data elements of one MAT-file variable from a stream (the file, or the zlib stream of a
/// miCOMPRESSED element) in the file's byte order, counting bytes so that padding to 8-byte boundaries
/// can be skipped. Every failure is a <see cref="DataFormatException"/> naming the file and where.
/// </summary>
internal sealed class MatElementReader(Stream stream, string path, bool bigEndian, bool compressed, string where)
{
    private readonly byte[] scratch = new byte[8];

    /// <summary>Bytes consumed so far.</summary>
    public long Position { get; private set; }

    /// <summary>Whether the numbers are big-endian.</summary>
    public bool BigEndian => bigEndian;

    /// <summary>An error naming the file and the element being read.</summary>
    public DataFormatException Fail(string problem, Exception? inner = null) => new(path, $"{where}: {problem}", inner);

    /// <summary>Fills <paramref name="buffer"/>.</summary>
    public void ReadExactly(Span<byte> buffer)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw Fail(compressed ? "corrupt zlib stream: the compressed data ends before the element it holds" : "truncated: the file ends inside the element", e);
        }
        catch (InvalidDataException e)
        {
            throw Fail(Corrupt, e);
        }
        Position += buffer.Length;
    }

    /// <summary>Reads and discards <paramref name="count"/> bytes.</summary>
    public void Skip(long count)
    {
        Span<byte> sink = stackalloc byte[4096];
        while (count > 0)
        {
            int n = (int)Math.Min(count, sink.Length);
            ReadExactly(sink[..n]);
            count -= n;
        }
    }

    /// <summary>Reads a tag, in the normal or the small data element format.</summary>
    public MatTag ReadTag()
    {
        ReadExactly(scratch);
        uint first = UInt32(scratch.AsSpan(0, 4));
        if (first >> 16 != 0)
        {
            // Small data element: type in the low 16 bits, byte count in the high 16 bits, data in the next 4 bytes.
            int bytes = (int)(first >> 16);
            if (bytes > 4) throw Fail($"a small data element claims {bytes} bytes (at most 4 fit in its tag)");
            return new MatTag((MatDataType)(first & 0xFFFF), bytes, scratch.AsSpan(4, bytes).ToArray());
        }
        return new MatTag((MatDataType)first, UInt32(scratch.AsSpan(4, 4)), null);
    }

    /// <summary>Reads the data of <paramref name="tag"/> into <paramref name="destination"/> (its exact length) and skips its padding.</summary>
    public void ReadData(MatTag tag, Span<byte> destination)
    {
        if (tag.SmallData is byte[] small)
        {
            small.CopyTo(destination);
            return;
        }
        ReadExactly(destination);
        Skip((8 - tag.Bytes % 8) % 8);
    }

    /// <summary>Reads the data of <paramref name="tag"/> into a new array and skips its padding.</summary>
    public byte[] ReadData(MatTag tag)
    {
        var bytes = new byte[tag.Bytes];
        ReadData(tag, bytes);
        return bytes;
    }

    /// <summary>Bytes the element of <paramref name="tag"/> occupies after its tag, padding included.</summary>
    public static long Footprint(MatTag tag) => tag.IsSmall ? 0 : tag.Bytes + (8 - tag.Bytes % 8) % 8;

    /// <summary>Reads the data of <paramref name="tag"/>, values of type <typeparamref name="T"/>, straight into <paramref name="values"/> in this machine's byte order.</summary>
    public void ReadValues<T>(MatTag tag, T[] values) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        ReadData(tag, bytes);
        if (bigEndian == BitConverter.IsLittleEndian) Reverse(bytes, System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
    }

    /// <summary>A 32-bit unsigned value in the file's byte order.</summary>
    public uint UInt32(ReadOnlySpan<byte> bytes) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes);

    /// <summary>A 32-bit signed value in the file's byte order.</summary>
    public int Int32(ReadOnlySpan<byte> bytes) => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(bytes) : BinaryPrimitives.ReadInt32LittleEndian(bytes);

    /// <summary>Whether the stream has ended (for a zlib stream, reading its end also checks its Adler-32 checksum).</summary>
    public bool AtEnd()
    {
        try
        {
            return stream.Read(scratch.AsSpan(0, 1)) == 0;
        }
        catch (InvalidDataException e)
        {
            throw Fail(Corrupt, e);
        }
    }

    // .NET's own message for a zlib data error can be misleading ("unsupported compression method"
    // for a wrong checksum), so it stays in the inner exception.
    private const string Corrupt = "corrupt zlib stream (it does not inflate, or its Adler-32 checksum does not match)";

    private static void Reverse(Span<byte> bytes, int size)
    {
        switch (size)
        {
            case 2: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(bytes), MemoryMarshal.Cast<byte, ushort>(bytes)); break;
            case 4: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(bytes), MemoryMarshal.Cast<byte, uint>(bytes)); break;
            case 8: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(bytes), MemoryMarshal.Cast<byte, ulong>(bytes)); break;
        }
    }

    /// <summary>A reader of the zlib stream of a miCOMPRESSED element of <paramref name="length"/> bytes at the stream's position.</summary>
    public static (MatElementReader Reader, Stream Owned) Decompressing(Stream file, long length, string path, bool bigEndian, string where)
    {
        var zlib = new ZLibStream(new IO.BoundedReadStream(file, length), CompressionMode.Decompress);
        return (new MatElementReader(zlib, path, bigEndian, compressed: true, where), zlib);
    }
}
