using LatentEbm.Data.Datasets;
using LatentEbm.Training.Configuration;

namespace LatentEbm.Training.Runs;

/// <summary>
/// The images a run trains, validates and is tested on. With a held-out class (a digit for MNIST): PAPER.md's anomaly
/// protocol over all train and test images (<see cref="AnomalySplit"/>), with the last
/// <see cref="TrainingConfig.ValidationFraction"/> of the (shuffled) training split held out as a
/// validation split (over the source's train and test splits together). Without: the source's train split, and no validation or test set.
/// </summary>
/// <param name="Train">Training images (normal digits only when a digit is held out).</param>
/// <param name="Validation">Normal images held out of training for calibration, or null.</param>
/// <param name="Test">Test images, or null without a held-out digit.</param>
/// <param name="TestAnomalyLabels">Per test image, 1 = anomaly; null without a held-out digit.</param>
public sealed record RunData(LabeledImages Train, LabeledImages? Validation, LabeledImages? Test, byte[]? TestAnomalyLabels)
{
    /// <summary>Loads the dataset named in <paramref name="config"/> from <paramref name="dataRoot"/> and splits it.</summary>
    /// <exception cref="DirectoryNotFoundException">The dataset is not there (the message says how to fetch it).</exception>
    /// <exception cref="FileNotFoundException">A data file is missing.</exception>
    /// <exception cref="Data.Sources.DataFormatException">A data file is damaged; the message names it.</exception>
    /// <exception cref="ArgumentException">The held-out class does not exist.</exception>
    public static RunData Load(TrainingConfig config, string dataRoot) =>
        Load(config, Data.Sources.ImageSources.Open(config.Dataset, dataRoot, config.DataPath, config.ImageSize));

    /// <summary>Loads and splits the images of <paramref name="source"/> as <paramref name="config"/> says.</summary>
    /// <exception cref="ArgumentException">The held-out class does not exist.</exception>
    public static RunData Load(TrainingConfig config, Data.Sources.IImageSource source)
    {
        var trainSplit = source.Load(Data.Sources.DataSplit.Train);
        if (config.HoldoutIndex(trainSplit.ClassNames) is not int digit)
            return new RunData(trainSplit, null, null, null);
        var all = trainSplit.Concat(source.Load(Data.Sources.DataSplit.Test));
        var split = AnomalySplit.Create(all, digit, config.SplitSeed);
        int validation = (int)Math.Round(config.ValidationFraction * split.TrainIndices.Count);
        int train = split.TrainIndices.Count - validation;
        return new RunData(all.Select([.. split.TrainIndices.Take(train)]),
            validation > 0 ? all.Select([.. split.TrainIndices.Skip(train)]) : null,
            all.Select(split.TestIndices), [.. split.TestAnomalyLabels]);
    }
}
