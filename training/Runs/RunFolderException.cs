namespace LatentEbm.Training.Runs;

/// <summary>A run folder cannot be used as asked (a new run over an old one, a resume without a run, an unreadable config).</summary>
public sealed class RunFolderException(string folder, string problem, Exception? inner = null)
    : IOException($"run folder {folder}: {problem}", inner)
{
    /// <summary>The run folder.</summary>
    public string Folder { get; } = folder;
}
