using System.Text;
using LatentEbm.Data.Sources;

namespace LatentEbm.Data.Mat;

/// <summary>
/// The 128-byte header of a Level 5 MAT-file (MathWorks, "MAT-File Format"): 116 bytes of text that
/// begin <c>MATLAB 5.0 MAT-file</c>, an 8-byte subsystem data offset, the version 0x0100 and the
/// endian indicator, the characters <c>MI</c> written as one 16-bit value (so the bytes read <c>IM</c>
/// in a little-endian file and <c>MI</c> in a big-endian one).
/// </summary>
/// <param name="Text">The descriptive text, trailing spaces and NULs removed (e.g. <c>MATLAB 5.0 MAT-file Platform: posix, Created on: ...</c>).</param>
/// <param name="BigEndian">Whether the file's numbers are big-endian.</param>
public sealed record MatHeader(string Text, bool BigEndian)
{
    /// <summary>Bytes in the header.</summary>
    public const int Length = 128;

    /// <summary>The text every Level 5 MAT-file header begins with.</summary>
    public const string Signature = "MATLAB 5.0 MAT-file";

    /// <summary>Parses the first <see cref="Length"/> bytes of <paramref name="path"/>.</summary>
    /// <exception cref="DataFormatException">Fewer than 128 bytes, no <see cref="Signature"/> (the message says when it is a version 7.3 HDF5 file), an unknown endian indicator, or a version other than 0x0100.</exception>
    public static MatHeader Parse(string path, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Length)
            throw new DataFormatException(path, $"truncated: {bytes.Length} bytes, shorter than the {Length}-byte MAT-file header");
        string text = Encoding.ASCII.GetString(bytes[..116]).TrimEnd(' ', '\0');
        if (!text.StartsWith(Signature, StringComparison.Ordinal))
        {
            string problem = text.StartsWith("MATLAB 7.3 MAT-file", StringComparison.Ordinal)
                ? "is a MATLAB 7.3 (HDF5) MAT-file; only Level 5 MAT-files (MATLAB 5 to 7, save -v7) are read"
                : $"is not a Level 5 MAT-file (its header does not begin with '{Signature}')";
            throw new DataFormatException(path, problem);
        }
        bool bigEndian = (bytes[126], bytes[127]) switch
        {
            ((byte)'I', (byte)'M') => false,
            ((byte)'M', (byte)'I') => true,
            var (a, b) => throw new DataFormatException(path, $"bad endian indicator 0x{a:X2}{b:X2} in the MAT-file header (expected the characters IM or MI)"),
        };
        int version = bigEndian ? bytes[124] << 8 | bytes[125] : bytes[125] << 8 | bytes[124];
        if (version != 0x0100)
            throw new DataFormatException(path, $"MAT-file header version 0x{version:X4}; Level 5 MAT-files have version 0x0100");
        return new MatHeader(text, bigEndian);
    }
}
