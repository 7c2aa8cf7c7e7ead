using LatentEbm.Data.Datasets;

namespace LatentEbm.Data.Sources;

/// <summary>
/// The registry of data sources by name (<see cref="DatasetName"/>): where each looks for its files
/// and how it is opened.
/// </summary>
public static class ImageSources
{
    /// <summary>The names in <c>config.json</c> and on the command line, in <see cref="DatasetName"/> order.</summary>
    public static readonly IReadOnlyList<string> Names = [.. Enum.GetValues<DatasetName>().Select(SettingNames.Of)];

    /// <summary>Opens the source written <paramref name="name"/> (as in config.json and manifests: <c>mnist</c>, <c>cifar-10</c>, ...).</summary>
    /// <param name="name">The source's written name.</param>
    /// <param name="dataRoot">The data cache (<c>.cache/data</c>): the MNIST family, CIFAR-10 and SVHN are looked for in <c>dataRoot/&lt;name&gt;</c>.</param>
    /// <param name="path">A folder that overrides where the files are (required for <c>image-folder</c>).</param>
    /// <param name="imageSize">Output size of <c>image-folder</c> images (height = width).</param>
    /// <exception cref="ArgumentException">An unknown name, or <c>image-folder</c> without a path.</exception>
    /// <exception cref="DirectoryNotFoundException">The MNIST family is not there (the message says how to fetch it).</exception>
    public static IImageSource Open(string name, string dataRoot, string? path = null, int imageSize = 64) =>
        Open(SettingNames.Parse<DatasetName>(name), dataRoot, path, imageSize);

    /// <summary>Opens source <paramref name="name"/>.</summary>
    /// <param name="name">The source.</param>
    /// <param name="dataRoot">The data cache (<c>.cache/data</c>): the MNIST family, CIFAR-10 and SVHN are looked for in <c>dataRoot/&lt;name&gt;</c>.</param>
    /// <param name="path">A folder that overrides where the files are (required for <c>image-folder</c>).</param>
    /// <param name="imageSize">Output size of <c>image-folder</c> images (height = width).</param>
    /// <exception cref="ArgumentException"><c>image-folder</c> without a path.</exception>
    /// <exception cref="DirectoryNotFoundException">The MNIST family is not there (the message says how to fetch it).</exception>
    public static IImageSource Open(DatasetName name, string dataRoot, string? path = null, int imageSize = 64) => name switch
    {
        DatasetName.Mnist or DatasetName.FashionMnist => new IdxSource(name, path ?? ImageDatasets.Locate(SettingNames.Of(name), dataRoot)),
        DatasetName.Cifar10 => new Cifar10Source(path ?? Path.Combine(dataRoot, "cifar-10")),
        DatasetName.Svhn => new SvhnSource(path ?? Path.Combine(dataRoot, "svhn")),
        DatasetName.ImageFolder => new ImageFolderSource(path ?? throw new ArgumentException("dataset image-folder needs a folder (--data-path): one subfolder per class holding PNG or JPEG files"), imageSize),
        _ => throw new ArgumentException($"unknown dataset {name}"),
    };
}
