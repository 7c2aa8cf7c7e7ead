namespace LatentEbm.Data.Mat;

/// <summary>
/// A real numeric array read from a MAT-file: its name, class, dimensions and values in MATLAB's
/// column-major order (element <c>(i1, i2, ..., ik)</c>, 0-based, is at
/// <c>i1 + d1 * (i2 + d2 * (...))</c>).
/// </summary>
public sealed class MatArray
{
    /// <summary>Wraps values already converted to the class's element type.</summary>
    /// <param name="name">The variable's name.</param>
    /// <param name="matClass">A numeric class.</param>
    /// <param name="dimensions">At least two dimensions, none negative.</param>
    /// <param name="values">The values, column-major: a <c>byte[]</c> for uint8, <c>double[]</c> for double, and so on (<see cref="MatClass"/>).</param>
    /// <exception cref="ArgumentException">The class is not numeric, or the values' type or count disagrees with the class or dimensions.</exception>
    public MatArray(string name, MatClass matClass, IReadOnlyList<int> dimensions, Array values)
    {
        if (!MatClasses.IsNumeric(matClass)) throw new ArgumentException($"{MatClasses.Describe(matClass)} is not a numeric class");
        if (values.GetType().GetElementType() != ElementType(matClass))
            throw new ArgumentException($"a {MatClasses.Describe(matClass)} array holds {ElementType(matClass).Name} values, not {values.GetType().Name}");
        long count = dimensions.Aggregate(1L, (a, d) => a * d);
        if (dimensions.Count < 2 || dimensions.Any(d => d < 0) || count != values.LongLength)
            throw new ArgumentException($"{values.LongLength} values do not make an array of dimensions {DescribeDimensions(dimensions)}");
        Name = name;
        Class = matClass;
        Dimensions = [.. dimensions];
        Values = values;
    }

    /// <summary>The variable's name.</summary>
    public string Name { get; }

    /// <summary>The array's class.</summary>
    public MatClass Class { get; }

    /// <summary>The dimensions, at least two (MATLAB drops trailing singleton dimensions beyond the second).</summary>
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>The values in column-major order, typed by <see cref="Class"/>.</summary>
    public Array Values { get; }

    /// <summary>Number of values (the product of the dimensions).</summary>
    public long Count => Values.LongLength;

    /// <summary>The dimensions as text, e.g. <c>32x32x3x7</c> (MATLAB's way).</summary>
    public string DimensionsText => DescribeDimensions(Dimensions);

    /// <summary>The value at column-major position <paramref name="index"/> as a double (exact for every class but 64-bit integers beyond 2^53).</summary>
    public double ValueAt(long index) => Values switch
    {
        double[] v => v[index],
        float[] v => v[index],
        sbyte[] v => v[index],
        byte[] v => v[index],
        short[] v => v[index],
        ushort[] v => v[index],
        int[] v => v[index],
        uint[] v => v[index],
        long[] v => v[index],
        ulong[] v => v[index],
        _ => throw new InvalidOperationException($"unexpected value array {Values.GetType().Name}"),
    };

    /// <summary>The .NET element type holding values of <paramref name="matClass"/>.</summary>
    /// <exception cref="ArgumentException">The class is not numeric.</exception>
    public static Type ElementType(MatClass matClass) => matClass switch
    {
        MatClass.Double => typeof(double),
        MatClass.Single => typeof(float),
        MatClass.Int8 => typeof(sbyte),
        MatClass.UInt8 => typeof(byte),
        MatClass.Int16 => typeof(short),
        MatClass.UInt16 => typeof(ushort),
        MatClass.Int32 => typeof(int),
        MatClass.UInt32 => typeof(uint),
        MatClass.Int64 => typeof(long),
        MatClass.UInt64 => typeof(ulong),
        _ => throw new ArgumentException($"{MatClasses.Describe(matClass)} is not a numeric class"),
    };

    /// <summary>Dimensions as MATLAB writes them, e.g. <c>32x32x3x7</c>.</summary>
    public static string DescribeDimensions(IEnumerable<int> dimensions) => string.Join("x", dimensions);
}
