using LatentEbm.Data.Datasets;

namespace LatentEbm.Data.Sources;

/// <summary>
/// CIFAR-10 (32x32 RGB, 10 classes in the canonical order airplane, automobile, bird, cat, deer,
/// dog, frog, horse, ship, truck) from whichever form its folder holds: the original binary batches
/// (<c>data_batch_1.bin</c> .. <c>data_batch_5.bin</c>, <c>test_batch.bin</c>, directly or in
/// <c>cifar-10-batches-bin/</c>; <see cref="Cifar10BinaryReader"/>) or the JPEG tree
/// <c>cifar-10-jpg/{train,test}/&lt;class&gt;/*.jpg</c> that <c>make data</c> unpacks from
/// <c>../shared/data/cifar-10-jpg.tar.gz</c> (a lossy re-encode: numbers on it are not comparable
/// digit for digit with results on the original pixels).
/// </summary>
public sealed class Cifar10Source : IImageSource
{
    /// <summary>CIFAR-10's class names by label.</summary>
    public static readonly IReadOnlyList<string> ClassNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>Opens the CIFAR-10 folder <paramref name="folder"/>.</summary>
    public Cifar10Source(string folder) => Location = folder;

    /// <inheritdoc />
    public DatasetName Name => DatasetName.Cifar10;

    /// <inheritdoc />
    public string Location { get; }

    /// <summary>The folder of the binary batches, or null when the folder holds none.</summary>
    public string? BinaryFolder =>
        File.Exists(Path.Combine(Location, "data_batch_1.bin")) ? Location
        : File.Exists(Path.Combine(Location, "cifar-10-batches-bin", "data_batch_1.bin")) ? Path.Combine(Location, "cifar-10-batches-bin")
        : null;

    /// <summary>The JPEG tree, or null when the folder holds none.</summary>
    public string? JpegFolder => Directory.Exists(Path.Combine(Location, "cifar-10-jpg", "train")) ? Path.Combine(Location, "cifar-10-jpg") : null;

    /// <summary>Which form is read: <c>binary</c> or <c>jpeg</c>.</summary>
    public string Form => BinaryFolder is not null ? "binary" : "jpeg";

    /// <inheritdoc />
    /// <exception cref="DirectoryNotFoundException">Neither form is there; the message says how to get it.</exception>
    public LabeledImages Load(DataSplit split)
    {
        if (BinaryFolder is string binary)
            return split == DataSplit.Train
                ? Cifar10BinaryReader.ReadAll([.. Enumerable.Range(1, 5).Select(i => Path.Combine(binary, $"data_batch_{i}.bin"))])
                : Cifar10BinaryReader.ReadAll([Path.Combine(binary, "test_batch.bin")]);
        if (JpegFolder is string jpeg)
        {
            var images = new ImageFolderSource(jpeg, 32, 3, DatasetName.Cifar10).Load(split);
            if (!images.ClassNames.SequenceEqual(ClassNames))
                throw new DataFormatException(jpeg, $"has class folders {string.Join(", ", images.ClassNames)}; CIFAR-10 has {string.Join(", ", ClassNames)}");
            return images;
        }
        throw new DirectoryNotFoundException($"CIFAR-10 not found in {Location} (neither data_batch_1.bin nor cifar-10-jpg/train); run `make data`, which unpacks ../shared/data/cifar-10-jpg.tar.gz there after checking its SHA-256, or put the original binary batches there");
    }
}
