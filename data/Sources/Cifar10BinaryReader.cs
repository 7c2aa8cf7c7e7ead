using LatentEbm.Data.Datasets;

namespace LatentEbm.Data.Sources;

/// <summary>
/// Reads CIFAR-10's original binary batches (<c>data_batch_N.bin</c>, <c>test_batch.bin</c>): records of
/// 3,073 bytes, a label byte (0..9) then 1,024 red, 1,024 green and 1,024 blue bytes of a 32x32 image in
/// row-major order; 10,000 records per file.
/// </summary>
public static class Cifar10BinaryReader
{
    /// <summary>Bytes per record: the label and 3 x 32 x 32 pixels.</summary>
    public const int RecordBytes = 1 + 3 * 32 * 32;

    /// <summary>Reads and joins <paramref name="paths"/> in order.</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="DataFormatException">A file is empty, not a whole number of records, or holds a label above 9.</exception>
    public static LabeledImages ReadAll(IReadOnlyList<string> paths)
    {
        var blobs = new List<(string Path, byte[] Bytes)>();
        foreach (var path in paths)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"CIFAR-10 batch not found: {path}", path);
            byte[] bytes = File.ReadAllBytes(path);
            if (bytes.Length == 0 || bytes.Length % RecordBytes != 0)
                throw new DataFormatException(path, $"{bytes.Length} bytes are not a whole number of {RecordBytes}-byte CIFAR-10 records (truncated or not a CIFAR-10 batch)");
            blobs.Add((path, bytes));
        }
        int count = blobs.Sum(b => b.Bytes.Length / RecordBytes);
        const int per = RecordBytes - 1;
        var pixels = new float[(long)count * per];
        var labels = new byte[count];
        int n = 0;
        foreach (var (path, bytes) in blobs)
        {
            for (int r = 0; r < bytes.Length / RecordBytes; r++, n++)
            {
                int at = r * RecordBytes;
                if (bytes[at] > 9) throw new DataFormatException(path, $"record {r} has label {bytes[at]}; CIFAR-10 labels are 0..9");
                labels[n] = bytes[at];
                var target = pixels.AsSpan(n * per, per);
                for (int i = 0; i < per; i++) target[i] = bytes[at + 1 + i] / 127.5f - 1f;
            }
        }
        return new LabeledImages(pixels, labels, 3, 32, 32, Cifar10Source.ClassNames);
    }
}
