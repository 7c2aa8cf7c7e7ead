using System.Text;
using LatentEbm.Data.Sources;

namespace LatentEbm.Data.Mat;

/// <summary>
/// Reads real numeric arrays from Level 5 MAT-files (MathWorks, "MAT-File Format", MATLAB 5 to 7,
/// <c>save -v7</c>; what <c>scipy.io.savemat</c> writes), in either byte order: the 128-byte header
/// (<see cref="MatHeader"/>), then one data element per variable, a miMATRIX (array flags, dimensions,
/// name, real part) or a miCOMPRESSED element holding one zlib-compressed miMATRIX. Values stored in a
/// narrower type than their class (MATLAB stores a double array of small integers as miUINT8) are
/// converted to the class. Cell, structure, character, sparse and complex arrays are not read.
/// MATLAB 7.3 files (HDF5) are refused with a message saying so.
/// </summary>
public static class MatFileReader
{
    // Deflate turns at most 258 bytes into a 1-bit code, so no zlib stream inflates by more than
    // about 1032 times: a larger claim is damage, refused before anything is allocated for it.
    private const long MaxInflation = 1100;

    /// <summary>Reads the variables named <paramref name="names"/> that <paramref name="path"/> holds; other variables are skipped unread.</summary>
    /// <param name="path">A Level 5 MAT-file.</param>
    /// <param name="names">The variables wanted; a name the file does not hold is absent from the result.</param>
    /// <returns>The variables found, by name.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataFormatException">The header is not a Level 5 header; an element is truncated or overruns its parent; a zlib stream is corrupt; or a wanted variable is not a real numeric array, has impossible dimensions, holds a different number of values than its dimensions, or appears twice. The message names the file, the element's offset and the variable.</exception>
    public static IReadOnlyDictionary<string, MatArray> Read(string path, params string[] names)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"MAT-file not found: {path}", path);
        var wanted = new HashSet<string>(names, StringComparer.Ordinal);
        var found = new Dictionary<string, MatArray>(StringComparer.Ordinal);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var headerBytes = new byte[MatHeader.Length];
        int got = file.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false);
        var header = MatHeader.Parse(path, headerBytes.AsSpan(0, got));

        long at = MatHeader.Length;
        while (at < file.Length)
        {
            file.Position = at;
            string where = $"element at byte {at}";
            if (file.Length - at < 8)
                throw new DataFormatException(path, $"{where}: truncated: {file.Length - at} bytes, shorter than a data element tag");
            var top = new MatElementReader(file, path, header.BigEndian, compressed: false, where);
            var tag = top.ReadTag();
            long remaining = file.Length - at - 8;
            if (!tag.IsSmall && tag.Bytes > remaining)
                throw top.Fail($"truncated: the {MatDataTypes.Describe(tag.Type)} element claims {tag.Bytes} bytes, {remaining} remain in the file");
            MatArray? array = tag.Type switch
            {
                MatDataType.MiMatrix when !tag.IsSmall => ReadMatrix(top, tag, wanted),
                MatDataType.MiCompressed when !tag.IsSmall => ReadCompressed(file, tag, path, header.BigEndian, $"miCOMPRESSED {where}", wanted),
                _ => throw top.Fail($"a {MatDataTypes.Describe(tag.Type)} element where a variable (miMATRIX or miCOMPRESSED) was expected"),
            };
            if (array is not null && !found.TryAdd(array.Name, array))
                throw top.Fail($"a second variable '{array.Name}'");
            // Compressed elements are not padded; miMATRIX sizes are already multiples of 8.
            at += 8 + (tag.Type == MatDataType.MiCompressed ? tag.Bytes : MatElementReader.Footprint(tag));
        }
        return found;
    }

    private static MatArray? ReadCompressed(Stream file, MatTag outer, string path, bool bigEndian, string where, HashSet<string> wanted)
    {
        var (reader, owned) = MatElementReader.Decompressing(file, outer.Bytes, path, bigEndian, where);
        using (owned)
        {
            var tag = reader.ReadTag();
            if (tag.Type != MatDataType.MiMatrix || tag.IsSmall)
                throw reader.Fail($"holds a {MatDataTypes.Describe(tag.Type)} element where a miMATRIX was expected");
            if (tag.Bytes > outer.Bytes * MaxInflation + 64)
                throw reader.Fail($"its miMATRIX claims {tag.Bytes} bytes, more than {outer.Bytes} compressed bytes can hold (corrupt)");
            var array = ReadMatrix(reader, tag, wanted);
            if (array is null) return null;
            reader.Skip(8 + MatElementReader.Footprint(tag) - reader.Position);
            if (!reader.AtEnd()) throw reader.Fail($"the zlib stream goes on after its miMATRIX element of {tag.Bytes} bytes");
            return array;
        }
    }

    /// <summary>Reads a miMATRIX element whose tag was just read; null when it is empty or not wanted.</summary>
    private static MatArray? ReadMatrix(MatElementReader reader, MatTag matrix, HashSet<string> wanted)
    {
        if (matrix.Bytes == 0) return null;
        long end = reader.Position + matrix.Bytes;

        var flagsTag = Subelement(reader, end, "array flags");
        if (flagsTag.Type != MatDataType.MiUInt32 || flagsTag.Bytes != 8)
            throw reader.Fail($"array flags are {flagsTag.Bytes} bytes of {MatDataTypes.Describe(flagsTag.Type)}, not 8 bytes of miUINT32");
        var flags = reader.ReadData(flagsTag);
        uint flagWord = reader.UInt32(flags.AsSpan(0, 4));
        var matClass = (MatClass)(flagWord & 0xFF);
        bool complex = (flagWord & 0x800) != 0;

        var dimsTag = Subelement(reader, end, "dimensions");
        if (dimsTag.Type != MatDataType.MiInt32 || dimsTag.Bytes % 4 != 0 || dimsTag.Bytes < 8)
            throw reader.Fail($"dimensions are {dimsTag.Bytes} bytes of {MatDataTypes.Describe(dimsTag.Type)}, not two or more miINT32 values");
        var dimBytes = reader.ReadData(dimsTag);
        var dims = new int[dimBytes.Length / 4];
        for (int i = 0; i < dims.Length; i++) dims[i] = reader.Int32(dimBytes.AsSpan(4 * i, 4));

        var nameTag = Subelement(reader, end, "array name");
        if (nameTag.Type is not (MatDataType.MiInt8 or MatDataType.MiUInt8 or MatDataType.MiUtf8))
            throw reader.Fail($"the array name is {MatDataTypes.Describe(nameTag.Type)}, not miINT8 text");
        string name = Encoding.UTF8.GetString(reader.ReadData(nameTag));
        if (!wanted.Contains(name)) return null;

        string variable = $"variable '{name}'";
        if (!MatClasses.IsNumeric(matClass))
            throw reader.Fail($"{variable} is a {MatClasses.Describe(matClass)} array; only numeric arrays are read");
        if (complex)
            throw reader.Fail($"{variable} is complex; only real arrays are read");
        if (dims.Any(d => d < 0))
            throw reader.Fail($"{variable} has a negative dimension ({MatArray.DescribeDimensions(dims)})");
        long count = 1;
        foreach (int d in dims)
        {
            count = checked(count * d);
            if (count > Array.MaxLength) throw reader.Fail($"{variable} has dimensions {MatArray.DescribeDimensions(dims)}, more values than one array holds");
        }

        var realTag = Subelement(reader, end, $"the real part of {variable}");
        int size = MatDataTypes.ValueSize(realTag.Type);
        if (size == 0)
            throw reader.Fail($"{variable} stores its values as {MatDataTypes.Describe(realTag.Type)}, not a numeric type");
        if (realTag.Bytes % size != 0 || realTag.Bytes / size != count)
            throw reader.Fail($"{variable} holds {realTag.Bytes} bytes of {MatDataTypes.Describe(realTag.Type)} ({(double)realTag.Bytes / size} values); its dimensions {MatArray.DescribeDimensions(dims)} need {count}");
        var values = MatValues.Read(reader, realTag, matClass, count, variable);
        return new MatArray(name, matClass, dims, values);
    }

    private static MatTag Subelement(MatElementReader reader, long end, string what)
    {
        if (end - reader.Position < 8)
            throw reader.Fail($"the miMATRIX element ends before its {what}");
        var tag = reader.ReadTag();
        long footprint = MatElementReader.Footprint(tag);
        if (footprint > end - reader.Position)
            throw reader.Fail($"{what} claims {tag.Bytes} bytes, {end - reader.Position} remain in its miMATRIX element (truncated or corrupt)");
        return tag;
    }
}
