namespace LatentEbm.Data.Mat;

/// <summary>
/// A data element's tag: its type and the number of data bytes after the tag. In the small data
/// element format (tag's upper 16 bits non-zero, at most 4 bytes of data) the data is inside the
/// 8-byte tag and <see cref="SmallData"/> holds it.
/// </summary>
/// <param name="Type">The element's data type.</param>
/// <param name="Bytes">Bytes of data, not counting padding to the next multiple of 8.</param>
/// <param name="SmallData">The data of a small data element, else null.</param>
internal readonly record struct MatTag(MatDataType Type, long Bytes, byte[]? SmallData)
{
    /// <summary>Whether the element is in the small data element format.</summary>
    public bool IsSmall => SmallData is not null;
}
