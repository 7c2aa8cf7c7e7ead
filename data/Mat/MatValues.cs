using System.Buffers.Binary;

namespace LatentEbm.Data.Mat;

/// <summary>
/// Reads an array's real part into values of its class: straight into the class's element type when
/// stored in it (e.g. uint8 as miUINT8), else through doubles, refusing a stored value the class cannot
/// hold exactly (MATLAB narrows storage only where no value changes).
/// </summary>
internal static class MatValues
{
    /// <summary>Reads <paramref name="count"/> values of storage type <c>tag.Type</c> as class <paramref name="matClass"/>.</summary>
    public static Array Read(MatElementReader reader, MatTag tag, MatClass matClass, long count, string variable)
    {
        if (Native(matClass) == tag.Type)
            return matClass switch
            {
                MatClass.Double => Straight<double>(reader, tag, count),
                MatClass.Single => Straight<float>(reader, tag, count),
                MatClass.Int8 => Straight<sbyte>(reader, tag, count),
                MatClass.UInt8 => Straight<byte>(reader, tag, count),
                MatClass.Int16 => Straight<short>(reader, tag, count),
                MatClass.UInt16 => Straight<ushort>(reader, tag, count),
                MatClass.Int32 => Straight<int>(reader, tag, count),
                MatClass.UInt32 => Straight<uint>(reader, tag, count),
                MatClass.Int64 => Straight<long>(reader, tag, count),
                _ => Straight<ulong>(reader, tag, count),
            };

        var stored = reader.ReadData(tag);
        var doubles = new double[count];
        int size = MatDataTypes.ValueSize(tag.Type);
        for (long i = 0; i < count; i++) doubles[i] = Decode(stored.AsSpan((int)(i * size), size), tag.Type, reader.BigEndian);
        return matClass switch
        {
            MatClass.Double => doubles,
            MatClass.Single => Narrow(doubles, v => (float)v, v => (double)(float)v == v || double.IsNaN(v), reader, variable, matClass),
            MatClass.Int8 => Narrow(doubles, v => (sbyte)v, v => Whole(v, sbyte.MinValue, sbyte.MaxValue), reader, variable, matClass),
            MatClass.UInt8 => Narrow(doubles, v => (byte)v, v => Whole(v, byte.MinValue, byte.MaxValue), reader, variable, matClass),
            MatClass.Int16 => Narrow(doubles, v => (short)v, v => Whole(v, short.MinValue, short.MaxValue), reader, variable, matClass),
            MatClass.UInt16 => Narrow(doubles, v => (ushort)v, v => Whole(v, ushort.MinValue, ushort.MaxValue), reader, variable, matClass),
            MatClass.Int32 => Narrow(doubles, v => (int)v, v => Whole(v, int.MinValue, int.MaxValue), reader, variable, matClass),
            MatClass.UInt32 => Narrow(doubles, v => (uint)v, v => Whole(v, uint.MinValue, uint.MaxValue), reader, variable, matClass),
            MatClass.Int64 => Narrow(doubles, v => (long)v, v => Whole(v, -9.2233720368547758E18, 9.2233720368547748E18), reader, variable, matClass),
            _ => Narrow(doubles, v => (ulong)v, v => Whole(v, 0, 1.8446744073709550E19), reader, variable, matClass),
        };
    }

    /// <summary>The storage type that holds <paramref name="matClass"/> values as they are.</summary>
    private static MatDataType Native(MatClass matClass) => matClass switch
    {
        MatClass.Double => MatDataType.MiDouble,
        MatClass.Single => MatDataType.MiSingle,
        MatClass.Int8 => MatDataType.MiInt8,
        MatClass.UInt8 => MatDataType.MiUInt8,
        MatClass.Int16 => MatDataType.MiInt16,
        MatClass.UInt16 => MatDataType.MiUInt16,
        MatClass.Int32 => MatDataType.MiInt32,
        MatClass.UInt32 => MatDataType.MiUInt32,
        MatClass.Int64 => MatDataType.MiInt64,
        _ => MatDataType.MiUInt64,
    };

    private static T[] Straight<T>(MatElementReader reader, MatTag tag, long count) where T : unmanaged
    {
        var values = new T[count];
        reader.ReadValues(tag, values);
        return values;
    }

    private static double Decode(ReadOnlySpan<byte> b, MatDataType type, bool bigEndian) => type switch
    {
        MatDataType.MiInt8 => (sbyte)b[0],
        MatDataType.MiUInt8 => b[0],
        MatDataType.MiInt16 => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(b) : BinaryPrimitives.ReadInt16LittleEndian(b),
        MatDataType.MiUInt16 => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b),
        MatDataType.MiInt32 => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(b) : BinaryPrimitives.ReadInt32LittleEndian(b),
        MatDataType.MiUInt32 => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b),
        MatDataType.MiSingle => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(b) : BinaryPrimitives.ReadSingleLittleEndian(b),
        MatDataType.MiDouble => bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(b) : BinaryPrimitives.ReadDoubleLittleEndian(b),
        MatDataType.MiInt64 => bigEndian ? BinaryPrimitives.ReadInt64BigEndian(b) : BinaryPrimitives.ReadInt64LittleEndian(b),
        MatDataType.MiUInt64 => bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b),
        _ => throw new ArgumentException($"{type} is not numeric"),
    };

    private static bool Whole(double v, double min, double max) => v == Math.Floor(v) && v >= min && v <= max;

    private static T[] Narrow<T>(double[] values, Func<double, T> cast, Func<double, bool> fits, MatElementReader reader, string variable, MatClass matClass)
    {
        var result = new T[values.Length];
        for (long i = 0; i < values.Length; i++)
        {
            if (!fits(values[i]))
                throw reader.Fail($"{variable} stores {values[i]} at position {i}, which its class {MatClasses.Describe(matClass)} cannot hold");
            result[i] = cast(values[i]);
        }
        return result;
    }
}
