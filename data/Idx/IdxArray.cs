namespace LatentEbm.Data.Idx;

/// <summary>
/// The contents of an unsigned-byte IDX file: a row-major array of <see cref="Shape"/>.
/// MNIST images are <c>[N, 28, 28]</c> (pixel intensities 0..255); labels are <c>[N]</c>.
/// </summary>
/// <param name="Path">The file the array was read from.</param>
/// <param name="Shape">Dimensions, outermost first.</param>
/// <param name="Data">Row-major values; length is the product of <paramref name="Shape"/>.</param>
public sealed record IdxArray(string Path, int[] Shape, byte[] Data)
{
    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;
}
