using LatentEbm.Data.Datasets;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Configuration;

namespace LatentEbm.Training.Tests;

/// <summary>Small real-MNIST subsets and configurations quick enough for unit tests.</summary>
internal static class SmallRuns
{
    private static readonly Lazy<LabeledImages> TrainSplit = new(() => ImageDatasets.LoadSplit(TestPaths.Mnist, train: true));

    public static LabeledImages Mnist(int count) => TrainSplit.Value.Select([.. Enumerable.Range(0, count)]);

    /// <summary>A tiny model and short chains: a few seconds per epoch on one thread.</summary>
    public static TrainingConfig TinyConfig(int epochs) => new()
    {
        Nz = 4,
        PriorHidden = 16,
        GeneratorHidden = [32, 64],
        PriorSteps = 5,
        PosteriorSteps = 5,
        BatchSize = 50,
        Epochs = epochs,
        Seed = 3,
    };
}
