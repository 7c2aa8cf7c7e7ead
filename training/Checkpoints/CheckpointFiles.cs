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

    /// <summary>Writes an optimiser's state dictionary as the file <paramref name="name"/> in <paramref name="folder"/>.</summary>
    public static void WriteOptimizer(string folder, string name, TorchSharp.Modules.OptimizerHelper optimizer) =>
        Write(folder, name, s => { using var w = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true); optimizer.save_state_dict(w); });

    /// <summary>Writes a generator's state as the file <c>noise.state</c> in <paramref name="folder"/>.</summary>
    public static void WriteGeneratorState(string folder, TorchSharp.torch.Generator rng)
    {
        using var state = rng.get_state();
        byte[] bytes = state.data<byte>().ToArray();
        Write(folder, "noise.state", s => s.Write(bytes));
    }

    /// <summary>
    /// Writes checkpoint <c>epoch-NNNN</c> under <paramref name="folder"/> atomically: <paramref name="writeFiles"/> fills a
    /// fresh temporary folder (temporary folders left by a kill mid-write are removed first), which is then moved into place;
    /// on failure it is removed and earlier checkpoints are untouched. Then only the newest <paramref name="keep"/> checkpoints stay.
    /// </summary>
    /// <returns>The checkpoint folder.</returns>
    public static string SaveEpoch(string folder, int epoch, string manifest, int keep, Action<string> writeFiles)
    {
        Directory.CreateDirectory(folder);
        foreach (var stale in Directory.GetDirectories(folder, ".tmp-*")) Directory.Delete(stale, recursive: true);
        string final = Path.Combine(folder, $"epoch-{epoch:D4}");
        string temp = Path.Combine(folder, $".tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            writeFiles(temp);
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
            Directory.Move(temp, final);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
        foreach (var old in EpochFolders(folder, manifest).SkipLast(keep)) Directory.Delete(old, recursive: true);
        return final;
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
