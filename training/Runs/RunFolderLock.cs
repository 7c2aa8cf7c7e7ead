namespace LatentEbm.Training.Runs;

/// <summary>
/// An exclusive lock on a run folder, held by the one process training in it: an OS file lock on
/// <c>.lock</c> in the folder (opened with <see cref="FileShare.None"/>, an advisory <c>flock</c> on
/// Linux). The operating system releases it when the process ends however it ends, so a killed run
/// never leaves a stale lock; the empty <c>.lock</c> file itself stays and means nothing alone.
/// </summary>
public sealed class RunFolderLock : IDisposable
{
    /// <summary>The lock file's name in the run folder.</summary>
    public const string FileName = ".lock";

    private readonly FileStream stream;

    private RunFolderLock(FileStream stream) => this.stream = stream;

    /// <summary>Takes the lock of <paramref name="folder"/>, creating the folder if needed.</summary>
    /// <exception cref="RunFolderException">Another process (or another run in this one) holds it; the message names the folder.</exception>
    public static RunFolderLock Acquire(string folder)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, FileName);
        try
        {
            return new RunFolderLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
        {
            throw new RunFolderException(folder, $"is being trained by another process (it holds {path}); wait for that run to end or stop it, then try again", e);
        }
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose() => stream.Dispose();
}
