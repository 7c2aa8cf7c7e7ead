using System.Security.Cryptography;

namespace LatentEbm.Training.Checkpoints;

/// <summary>The file primitives of checkpoint folders (image and text runs): durable writes and SHA-256 digests.</summary>
internal static class CheckpointFiles
{
    /// <summary>Writes one new file in <paramref name="folder"/> from <paramref name="write"/>, flushed to disk.</summary>
    public static void Write(string folder, string name, Action<Stream> write)
    {
        // TorchSharp's savers close the stream they are given: serialise to memory first.
        var buffer = new MemoryStream();
        write(buffer);
        using var stream = new FileStream(Path.Combine(folder, name), FileMode.CreateNew, FileAccess.Write);
        stream.Write(buffer.ToArray());
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Complete checkpoint folders <c>epoch-N</c> under <paramref name="folder"/> (those holding <paramref name="manifest"/>), oldest first by epoch number.</summary>
    public static IReadOnlyList<string> EpochFolders(string folder, string manifest) =>
        Directory.Exists(folder)
            ? [.. Directory.GetDirectories(folder, "epoch-*")
                .Select(d => (Folder: d, Epoch: EpochOf(d)))
                .Where(c => c.Epoch is not null && File.Exists(Path.Combine(c.Folder, manifest)))
                .OrderBy(c => c.Epoch)
                .Select(c => c.Folder)]
            : [];

    /// <summary>The epoch of a folder named <c>epoch-N</c> (any number of digits), or null for any other name.</summary>
    private static long? EpochOf(string folder)
    {
        string digits = Path.GetFileName(folder)["epoch-".Length..];
        return digits.Length > 0 && digits.All(char.IsAsciiDigit) && long.TryParse(digits, out long epoch) ? epoch : null;
    }

    /// <summary>Checks that every one of <paramref name="files"/> is listed in <paramref name="sha256"/>, present in <paramref name="checkpoint"/> and unchanged.</summary>
    /// <exception cref="CheckpointException">A file unlisted, missing or altered; the message names it.</exception>
    public static void Verify(string checkpoint, string manifestPath, IEnumerable<string> files, IReadOnlyDictionary<string, string> sha256)
    {
        foreach (var file in files)
        {
            string filePath = Path.Combine(checkpoint, file);
            if (!sha256.TryGetValue(file, out var expected)) throw new CheckpointException(manifestPath, $"no SHA-256 listed for {file}");
            if (!File.Exists(filePath)) throw new CheckpointException(filePath, "missing");
            if (!string.Equals(Sha256(filePath), expected, StringComparison.OrdinalIgnoreCase))
                throw new CheckpointException(filePath, "SHA-256 mismatch: the file is damaged or was changed");
        }
    }
}
