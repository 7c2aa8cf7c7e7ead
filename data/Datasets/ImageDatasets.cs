using LatentEbm.Data.Idx;

namespace LatentEbm.Data.Datasets;

/// <summary>
/// Loads the MNIST family (MNIST, Fashion-MNIST) from the four IDX files of its train and test
/// splits, raw or gzipped, validating each file and the pairing of images with labels.
/// </summary>
public static class ImageDatasets
{
    /// <summary>Names accepted by <see cref="Locate"/>.</summary>
    public static readonly IReadOnlyList<string> Names = ["mnist", "fashion-mnist"];

    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs its files.</summary>
    public const string DebianFashionMnistFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>
    /// The folder holding dataset <paramref name="name"/>: <c>dataRoot/name</c> when it exists
    /// (where <c>make data</c> puts MNIST), else, for Fashion-MNIST, Debian's package folder.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown dataset name.</exception>
    /// <exception cref="DirectoryNotFoundException">No folder holds the dataset; the message says how to get it.</exception>
    public static string Locate(string name, string dataRoot)
    {
        if (!Names.Contains(name))
            throw new ArgumentException($"unknown dataset '{name}'; known: {string.Join(", ", Names)}", nameof(name));
        string local = Path.Combine(dataRoot, name);
        if (Directory.Exists(local)) return local;
        if (name == "fashion-mnist" && Directory.Exists(DebianFashionMnistFolder)) return DebianFashionMnistFolder;
        string hint = name == "mnist" ? "run `make data`" : "install Debian's dataset-fashion-mnist package";
        throw new DirectoryNotFoundException($"dataset '{name}' not found in {local}; {hint}");
    }

    /// <summary>
    /// Loads the train split (60,000 images for MNIST) or the test split (10,000) from
    /// <paramref name="folder"/>: files <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>,
    /// <c>t10k-images-idx3-ubyte</c>, <c>t10k-labels-idx1-ubyte</c>, each optionally with <c>.gz</c>.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="IdxFormatException">A file is damaged, or images and labels disagree in count, or a label is above 9.</exception>
    public static LabeledImages LoadSplit(string folder, bool train)
    {
        string prefix = train ? "train" : "t10k";
        string imagesPath = Find(folder, $"{prefix}-images-idx3-ubyte");
        string labelsPath = Find(folder, $"{prefix}-labels-idx1-ubyte");
        IdxArray images = IdxReader.Read(imagesPath, expectedRank: 3);
        IdxArray labels = IdxReader.Read(labelsPath, expectedRank: 1);
        if (images.Shape[0] != labels.Shape[0])
            throw new IdxFormatException(labelsPath, $"{labels.Shape[0]} labels for the {images.Shape[0]} images of {imagesPath}");
        for (int i = 0; i < labels.Data.Length; i++)
            if (labels.Data[i] > 9)
                throw new IdxFormatException(labelsPath, $"label {labels.Data[i]} at index {i} is not a digit class 0..9");

        var pixels = new float[images.Data.Length];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = images.Data[i] / 127.5f - 1f;
        return new LabeledImages(pixels, labels.Data, images.Shape[1], images.Shape[2]);
    }

    /// <summary>All images of the dataset: the train split followed by the test split (70,000 for MNIST).</summary>
    public static LabeledImages LoadAll(string folder) => LoadSplit(folder, train: true).Concat(LoadSplit(folder, train: false));

    private static string Find(string folder, string stem)
    {
        string raw = Path.Combine(folder, stem);
        if (File.Exists(raw)) return raw;
        if (File.Exists(raw + ".gz")) return raw + ".gz";
        throw new FileNotFoundException($"missing {stem} (or {stem}.gz) in {folder}", raw);
    }
}
