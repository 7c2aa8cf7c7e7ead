namespace LatentEbm.Training.Checkpoints;

/// <summary>A checkpoint cannot be used: a file is missing, damaged (SHA-256 mismatch), unreadable, or from another configuration. The message names the file.</summary>
public sealed class CheckpointException(string path, string problem, Exception? inner = null)
    : IOException($"checkpoint {path}: {problem}", inner)
{
    /// <summary>The file or folder at fault.</summary>
    public string FilePath { get; } = path;

    /// <summary>What is wrong, without the path.</summary>
    public string Problem { get; } = problem;
}
