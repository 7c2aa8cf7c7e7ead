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
}
