namespace LatentEbm.Data.Mat;

/// <summary>
/// The data types of a Level 5 MAT-file's data elements (the tag's first field; MathWorks,
/// "MAT-File Format", version 7, table 1-1). Numeric types hold values; miMATRIX holds one array;
/// miCOMPRESSED holds a zlib stream of one miMATRIX element (MATLAB 7 and later, and
/// <c>scipy.io.savemat(..., do_compression=True)</c>).
/// </summary>
public enum MatDataType
{
    /// <summary>8-bit signed integers.</summary>
    MiInt8 = 1,
    /// <summary>8-bit unsigned integers.</summary>
    MiUInt8 = 2,
    /// <summary>16-bit signed integers.</summary>
    MiInt16 = 3,
    /// <summary>16-bit unsigned integers.</summary>
    MiUInt16 = 4,
    /// <summary>32-bit signed integers.</summary>
    MiInt32 = 5,
    /// <summary>32-bit unsigned integers.</summary>
    MiUInt32 = 6,
    /// <summary>IEEE 754 single precision.</summary>
    MiSingle = 7,
    /// <summary>IEEE 754 double precision.</summary>
    MiDouble = 9,
    /// <summary>64-bit signed integers.</summary>
    MiInt64 = 12,
    /// <summary>64-bit unsigned integers.</summary>
    MiUInt64 = 13,
    /// <summary>An array: flags, dimensions, name, then its parts.</summary>
    MiMatrix = 14,
    /// <summary>A zlib stream holding one data element.</summary>
    MiCompressed = 15,
    /// <summary>UTF-8 text.</summary>
    MiUtf8 = 16,
    /// <summary>UTF-16 text.</summary>
    MiUtf16 = 17,
    /// <summary>UTF-32 text.</summary>
    MiUtf32 = 18,
}

/// <summary>Sizes and names of <see cref="MatDataType"/> values.</summary>
public static class MatDataTypes
{
    /// <summary>Bytes per value of numeric type <paramref name="type"/>, or 0 when it is not numeric.</summary>
    public static int ValueSize(MatDataType type) => type switch
    {
        MatDataType.MiInt8 or MatDataType.MiUInt8 => 1,
        MatDataType.MiInt16 or MatDataType.MiUInt16 => 2,
        MatDataType.MiInt32 or MatDataType.MiUInt32 or MatDataType.MiSingle => 4,
        MatDataType.MiDouble or MatDataType.MiInt64 or MatDataType.MiUInt64 => 8,
        _ => 0,
    };

    /// <summary>The type's name as the format specification writes it (e.g. <c>miUINT8</c>), or its number when unknown.</summary>
    public static string Describe(MatDataType type) =>
        Enum.IsDefined(type) ? "mi" + type.ToString()[2..].ToUpperInvariant() : $"data type {(int)type}";
}
