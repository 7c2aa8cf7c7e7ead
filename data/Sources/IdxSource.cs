using LatentEbm.Data.Datasets;

namespace LatentEbm.Data.Sources;

/// <summary>The MNIST family (MNIST, Fashion-MNIST): four IDX files, raw or gzipped (<see cref="ImageDatasets.LoadSplit"/>).</summary>
/// <param name="Name">mnist or fashion-mnist.</param>
/// <param name="Location">The folder holding the four files.</param>
public sealed record IdxSource(DatasetName Name, string Location) : IImageSource
{
    /// <inheritdoc />
    public LabeledImages Load(DataSplit split) => ImageDatasets.LoadSplit(Location, split == DataSplit.Train);
}
