using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using LatentEbm.Data.Mat;

namespace LatentEbm.Data.Tests;

/// <summary>
/// Writes Level 5 MAT-files byte by byte, in either byte order, laid out as scipy.io.savemat lays them
/// out (SvhnSourceTests checks that its little-endian output equals scipy's after the header): for the
/// cases scipy cannot write (big-endian files, values stored in a narrower type than their class as
/// MATLAB does, complex flags, damaged elements).
/// </summary>
internal sealed class MatBuilder(bool bigEndian)
{
    private readonly List<byte[]> elements = [];

    /// <summary>Adds a variable as an uncompressed miMATRIX element.</summary>
    public MatBuilder Matrix(string name, MatClass matClass, int[] dims, MatDataType storage, double[] values, bool complex = false)
    {
        elements.Add(MatrixElement(name, matClass, dims, storage, values, complex));
        return this;
    }

    /// <summary>Adds a variable as a miCOMPRESSED element (zlib stream of its miMATRIX element, not padded).</summary>
    public MatBuilder Compressed(string name, MatClass matClass, int[] dims, MatDataType storage, double[] values)
    {
        var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
            zlib.Write(MatrixElement(name, matClass, dims, storage, values, false));
        elements.Add([.. Tag(MatDataType.MiCompressed, output.Length), .. output.ToArray()]);
        return this;
    }

    /// <summary>Adds raw bytes as an element.</summary>
    public MatBuilder Raw(byte[] element)
    {
        elements.Add(element);
        return this;
    }

    /// <summary>The file: header then the elements.</summary>
    public byte[] Build()
    {
        var header = new byte[128];
        Encoding.ASCII.GetBytes("MATLAB 5.0 MAT-file Platform: posix, Created on: MatBuilder").CopyTo(header, 0);
        header[124] = bigEndian ? (byte)1 : (byte)0;
        header[125] = bigEndian ? (byte)0 : (byte)1;
        (header[126], header[127]) = bigEndian ? ((byte)'M', (byte)'I') : ((byte)'I', (byte)'M');
        return [.. header, .. elements.SelectMany(e => e)];
    }

    public byte[] MatrixElement(string name, MatClass matClass, int[] dims, MatDataType storage, double[] values, bool complex)
    {
        byte[] body =
        [
            .. Element(MatDataType.MiUInt32, [.. U32((uint)matClass | (complex ? 0x800u : 0)), .. U32(0)]),
            .. Element(MatDataType.MiInt32, [.. dims.SelectMany(d => U32((uint)d))]),
            .. Element(MatDataType.MiInt8, Encoding.ASCII.GetBytes(name)),
            .. Element(storage, [.. values.SelectMany(v => Encode(storage, v))]),
        ];
        return [.. Tag(MatDataType.MiMatrix, body.Length), .. body];
    }

    /// <summary>An element: small data element format for up to 4 bytes, else tag, data and padding to 8 bytes.</summary>
    public byte[] Element(MatDataType type, byte[] data)
    {
        if (data.Length is > 0 and <= 4)
        {
            var small = new byte[8];
            U32((uint)data.Length << 16 | (uint)type).CopyTo(small, 0);
            data.CopyTo(small, 4);
            return small;
        }
        return [.. Tag(type, data.Length), .. data, .. new byte[(8 - data.Length % 8) % 8]];
    }

    private byte[] Tag(MatDataType type, long bytes) => [.. U32((uint)type), .. U32((uint)bytes)];

    private byte[] U32(uint v)
    {
        var b = new byte[4];
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }

    private byte[] Encode(MatDataType type, double v)
    {
        var b = new byte[MatDataTypes.ValueSize(type)];
        switch (type)
        {
            case MatDataType.MiUInt8: b[0] = (byte)v; break;
            case MatDataType.MiInt8: b[0] = (byte)(sbyte)v; break;
            case MatDataType.MiInt16: if (bigEndian) BinaryPrimitives.WriteInt16BigEndian(b, (short)v); else BinaryPrimitives.WriteInt16LittleEndian(b, (short)v); break;
            case MatDataType.MiUInt16: if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)v); else BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v); break;
            case MatDataType.MiInt32: if (bigEndian) BinaryPrimitives.WriteInt32BigEndian(b, (int)v); else BinaryPrimitives.WriteInt32LittleEndian(b, (int)v); break;
            case MatDataType.MiUInt32: if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, (uint)v); else BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)v); break;
            case MatDataType.MiSingle: if (bigEndian) BinaryPrimitives.WriteSingleBigEndian(b, (float)v); else BinaryPrimitives.WriteSingleLittleEndian(b, (float)v); break;
            case MatDataType.MiDouble: if (bigEndian) BinaryPrimitives.WriteDoubleBigEndian(b, v); else BinaryPrimitives.WriteDoubleLittleEndian(b, v); break;
            default: throw new ArgumentException($"MatBuilder does not write {type}");
        }
        return b;
    }
}
