using LatentEbm.Data.Datasets;

namespace LatentEbm.Data.Sources;

/// <summary>
/// A labelled image dataset in its original format (DESIGN.md, "Seams for more than MNIST"): every
/// source yields <see cref="LabeledImages"/> <c>[N, C, H, W]</c> on [-1, 1] with class names, so any
/// of them can hold out a class for anomaly detection. Opened by name through <see cref="ImageSources"/>.
/// </summary>
public interface IImageSource
{
    /// <summary>The source's name.</summary>
    DatasetName Name { get; }

    /// <summary>Where the files are read from (shown in messages).</summary>
    string Location { get; }

    /// <summary>Loads one split.</summary>
    /// <exception cref="FileNotFoundException">A file the split needs is missing; the message names it.</exception>
    /// <exception cref="DataFormatException">A file is damaged or not in the expected format; the message names it.</exception>
    LabeledImages Load(DataSplit split);
}
