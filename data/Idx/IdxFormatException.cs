namespace LatentEbm.Data.Idx;

/// <summary>
/// An IDX file (or a pair of them) is truncated, corrupt, or does not match what was expected.
/// The message names the file and the problem.
/// </summary>
public sealed class IdxFormatException : Sources.DataFormatException
{
    /// <summary>Creates the error for <paramref name="path"/> with a description of the problem.</summary>
    public IdxFormatException(string path, string problem)
        : base(path, problem)
    {
    }
}
