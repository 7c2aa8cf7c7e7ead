using LatentEbm.Data.Datasets;
using LatentEbm.Data.Imaging;

namespace LatentEbm.Data.Sources;

/// <summary>
/// A folder of images with one subfolder per class (class names are the subfolder names, in ordinal
/// order), PNG or JPEG files, each resized so that its shorter side fits and centre-cropped to
/// <c>[C, size, size]</c> (<see cref="ImageDecoder"/>). A folder with <c>train</c> and <c>test</c>
/// subfolders, each laid out so, has both splits (the CIFAR-10 JPEG tree); otherwise every image is in
/// the train split and the test split is empty (hold out a class to get a test set).
/// </summary>
public sealed class ImageFolderSource : IImageSource
{
    private static readonly string[] Extensions = [".png", ".jpg", ".jpeg"];

    /// <summary>Image files this source does not read: an error naming the file rather than a silent skip. Other files (notes, metadata) are ignored.</summary>
    private static readonly string[] OtherImageExtensions = [".bmp", ".gif", ".webp", ".tif", ".tiff", ".ico", ".heic", ".avif"];

    /// <summary>Reads <paramref name="root"/> as <c>[channels, size, size]</c> images.</summary>
    /// <param name="root">The folder.</param>
    /// <param name="size">Output height and width (e.g. 64 for CelebA-64, 32 for CIFAR-10).</param>
    /// <param name="channels">3 (RGB) or 1 (grey).</param>
    /// <param name="name">The registry name this source answers to.</param>
    /// <exception cref="ArgumentException">size or channels out of range.</exception>
    public ImageFolderSource(string root, int size, int channels = 3, DatasetName name = DatasetName.ImageFolder)
    {
        if (size < 4) throw new ArgumentException($"image size must be at least 4, got {size}");
        if (channels is not (1 or 3)) throw new ArgumentException($"images have 1 or 3 channels, got {channels}");
        Location = root;
        Size = size;
        Channels = channels;
        Name = name;
    }

    /// <inheritdoc />
    public DatasetName Name { get; }

    /// <inheritdoc />
    public string Location { get; }

    /// <summary>Output height and width.</summary>
    public int Size { get; }

    /// <summary>Output channels.</summary>
    public int Channels { get; }

    /// <summary>Whether the folder has <c>train</c> and <c>test</c> subfolders.</summary>
    public bool HasSplits => Directory.Exists(Path.Combine(Location, "train")) && Directory.Exists(Path.Combine(Location, "test"));

    /// <inheritdoc />
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="NotSupportedException">The split holds more values than one array can (about 2.1 billion: 174,762 images of [3, 64, 64], so not the whole of CelebA).</exception>
    public LabeledImages Load(DataSplit split)
    {
        if (!Directory.Exists(Location)) throw new DirectoryNotFoundException($"image folder {Location} does not exist");
        string folder = HasSplits ? Path.Combine(Location, split == DataSplit.Train ? "train" : "test") : Location;
        string[] classes = ClassFolders(HasSplits ? Path.Combine(Location, "train") : Location);
        if (!HasSplits && split == DataSplit.Test)
            return new LabeledImages([], [], Channels, Size, Size, [.. classes.Select(c => Path.GetFileName(c))]);
        if (classes.Length > byte.MaxValue + 1)
            throw new DataFormatException(Location, $"has {classes.Length} class folders; at most 256 are supported");

        var files = new List<(string Path, byte Label)>();
        for (int c = 0; c < classes.Length; c++)
        {
            string classFolder = Path.Combine(folder, Path.GetFileName(classes[c]));
            if (!Directory.Exists(classFolder)) continue; // a class without test images
            int before = files.Count;
            foreach (var file in Directory.GetFiles(classFolder).Order(StringComparer.Ordinal))
            {
                string extension = Path.GetExtension(file).ToLowerInvariant();
                if (Extensions.Contains(extension)) files.Add((file, (byte)c));
                else if (OtherImageExtensions.Contains(extension))
                    throw new DataFormatException(file, $"is a {extension[1..].ToUpperInvariant()} file; PNG and JPEG are supported (convert it, or move it out of the class folder)");
            }
            // An empty class would still take an index and shift the later ones (--holdout-class by index).
            if (split == DataSplit.Train && files.Count == before)
                throw new DataFormatException(classFolder, "holds no PNG or JPEG image; every class subfolder of the training images must hold some (the subfolders are the classes, in ordinal order)");
        }
        if (files.Count == 0) throw new DataFormatException(folder, "holds no PNG or JPEG image in its class subfolders");
        var labels = files.Select(f => f.Label).ToArray();
        int per = Channels * Size * Size;
        if ((long)files.Count * per > Array.MaxLength)
            throw new NotSupportedException($"{folder}: {files.Count} images of [{Channels}, {Size}, {Size}] are {(long)files.Count * per} values, more than one array holds ({Array.MaxLength}); a split is held in one float array, so use fewer images or a smaller size");
        var pixels = new float[(long)files.Count * per];
        try
        {
            Parallel.For(0, files.Count, i => DecodeFile(files[i].Path, pixels.AsSpan(i * per, per)));
        }
        catch (AggregateException e)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return new LabeledImages(pixels, labels, Channels, Size, Size, [.. classes.Select(c => Path.GetFileName(c))]);
    }

    private void DecodeFile(string path, Span<float> destination)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new DataFormatException(path, $"cannot be read ({e.Message})", e);
        }
        ImageDecoder.Decode(path, bytes, Channels, Size, Size, destination);
    }

    private static string[] ClassFolders(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"image folder {folder} does not exist");
        // Hidden folders (.ipynb_checkpoints, .git) are not classes.
        string[] classes = [.. Directory.GetDirectories(folder).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal)];
        if (classes.Length == 0)
            throw new DataFormatException(folder, "has no class subfolders (expected one subfolder per class holding PNG or JPEG files)");
        return classes;
    }
}
