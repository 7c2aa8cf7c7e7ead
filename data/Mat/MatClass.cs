namespace LatentEbm.Data.Mat;

/// <summary>
/// The class of a MAT-file array (the low byte of its array flags; MathWorks, "MAT-File Format",
/// table 1-3). <see cref="MatFileReader"/> reads the numeric classes, double through uint64.
/// </summary>
public enum MatClass
{
    /// <summary>Cell array (not read).</summary>
    Cell = 1,
    /// <summary>Structure (not read).</summary>
    Struct = 2,
    /// <summary>Object (not read).</summary>
    Object = 3,
    /// <summary>Character array (not read).</summary>
    Char = 4,
    /// <summary>Sparse array (not read).</summary>
    Sparse = 5,
    /// <summary>Double precision, held as <see cref="double"/>.</summary>
    Double = 6,
    /// <summary>Single precision, held as <see cref="float"/>.</summary>
    Single = 7,
    /// <summary>8-bit signed integers, held as <see cref="sbyte"/>.</summary>
    Int8 = 8,
    /// <summary>8-bit unsigned integers, held as <see cref="byte"/>.</summary>
    UInt8 = 9,
    /// <summary>16-bit signed integers, held as <see cref="short"/>.</summary>
    Int16 = 10,
    /// <summary>16-bit unsigned integers, held as <see cref="ushort"/>.</summary>
    UInt16 = 11,
    /// <summary>32-bit signed integers, held as <see cref="int"/>.</summary>
    Int32 = 12,
    /// <summary>32-bit unsigned integers, held as <see cref="uint"/>.</summary>
    UInt32 = 13,
    /// <summary>64-bit signed integers, held as <see cref="long"/>.</summary>
    Int64 = 14,
    /// <summary>64-bit unsigned integers, held as <see cref="ulong"/>.</summary>
    UInt64 = 15,
}

/// <summary>Names and kinds of <see cref="MatClass"/> values.</summary>
public static class MatClasses
{
    /// <summary>Whether arrays of <paramref name="matClass"/> are numeric (and so read by <see cref="MatFileReader"/>).</summary>
    public static bool IsNumeric(MatClass matClass) => matClass is >= MatClass.Double and <= MatClass.UInt64;

    /// <summary>The class's MATLAB name (e.g. <c>uint8</c>, <c>double</c>, <c>cell</c>), or its number when unknown.</summary>
    public static string Describe(MatClass matClass) =>
        Enum.IsDefined(matClass) ? matClass.ToString().ToLowerInvariant() : $"array class {(int)matClass}";
}
