using System.Text.Json;
using LatentEbm.Data.Datasets;
using LatentEbm.Data.IO;
using LatentEbm.Data.Sources;
using LatentEbm.Training.Checkpoints;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Model;
using LatentEbm.Training.Runs;
using LatentEbm.Training.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Evaluation;

/// <summary>
/// Sample quality and reconstruction of a trained run (issue 6's "what the EBM prior buys", issue 11's colour
/// runs): decodes prior samples (<see cref="PriorSampler"/>), embeds them and test images with a shipped
/// feature classifier, and reports the Fréchet distance and the kernel inception distance
/// (<see cref="KernelInceptionDistance"/>) between the two sets, with the same distances between as many
/// training images and the test images as the floor that sampling alone gives; and the reconstruction
/// error of the test images through the run's test-time posterior chain (<see cref="TrainingConfig.Score"/>).
/// The test images are the normal ones of the anomaly protocol when the run holds out a class (never
/// trained on), else the source's test split (all of them normal; the run trained on the train split only).
/// </summary>
public static class SampleQualityStudy
{
    /// <summary>Runs the study on the newest checkpoint of <paramref name="runFolder"/>, reading the run's dataset from <paramref name="dataRoot"/>; writes <c>sample_quality.json</c> there.</summary>
    /// <param name="runFolder">A trained run, with or without a held-out class.</param>
    /// <param name="dataRoot">Datasets folder.</param>
    /// <param name="classifierFolder">Folder of the feature classifier; it must take the run's observations.</param>
    /// <param name="samples">Prior samples, and at most as many test and training images (default 10,000); more than the classifier's feature width.</param>
    /// <param name="seed">Seed of the prior chains, the posterior chains, the image subsets and the KID subsets.</param>
    /// <exception cref="RunFolderException">Not a run, or no checkpoint.</exception>
    /// <exception cref="IOException">The classifier or the data is missing or damaged.</exception>
    /// <exception cref="ArgumentException">Too few samples, or a classifier whose input shape is not the run's observation (the message names both).</exception>
    public static SampleQualityReport Run(string runFolder, string dataRoot, string classifierFolder, int samples = 10_000, int seed = 1)
    {
        var config = TrainingRun.ReadConfig(runFolder);
        return Run(runFolder, ImageSources.Open(config.Dataset, dataRoot, config.DataPath, config.ImageSize), classifierFolder, samples, seed);
    }

    /// <summary>Runs the study with the run's images taken from <paramref name="source"/> (its dataset, or a part of it); see the other overload.</summary>
    /// <param name="runFolder">A trained run.</param>
    /// <param name="source">Where the run's train and test splits come from.</param>
    /// <param name="classifierFolder">Folder of the feature classifier.</param>
    /// <param name="samples">Prior samples, and at most as many test and training images.</param>
    /// <param name="seed">Seed.</param>
    public static SampleQualityReport Run(string runFolder, IImageSource source, string classifierFolder, int samples = 10_000, int seed = 1)
    {
        var config = TrainingRun.ReadConfig(runFolder);
        using var extractor = new FeatureExtractor(classifierFolder);
        extractor.CheckAccepts(config.Observation, $"run {runFolder}");
        int featureWidth = extractor.Card.FeatureDimension;
        if (samples <= featureWidth)
            throw new ArgumentException($"--samples must exceed the classifier's {featureWidth} features (a Fréchet distance needs full-rank covariances); got {samples}");
        string checkpoint = new CheckpointStore(runFolder).Latest() ?? throw new RunFolderException(runFolder, "has no checkpoint");
        var device = new Device(config.Device);
        var (prior, generator, model) = ModelFactory.Create(config, device);
        using var priorScope = prior;
        using var generatorScope = generator;
        CheckpointStore.RestoreNetworks(checkpoint, prior, generator);
        prior.eval();
        generator.eval();

        var (test, train) = Images(config, source, samples, seed);
        if (!test.Observation.Equals(config.Observation))
            throw new ArgumentException($"{source.Location} holds {test.Observation.ShapeText} images, but run {runFolder} observes {config.Observation.ShapeText}");

        int size = config.Observation.Size;
        float[] decoded = new float[(long)samples * size];
        using (var rng = new torch.Generator((ulong)seed, device))
            for (int start = 0; start < samples; start += 1000)
            {
                int count = Math.Min(1000, samples - start);
                using var scope = NewDisposeScope();
                var z = PriorSampler.Sample(model, config, count, rng, device);
                using var noGrad = no_grad();
                generator.forward(z).to(float32).cpu().data<float>().CopyTo(decoded.AsSpan(start * size, count * size));
            }
        using var sampleFeatures = Features(extractor, decoded, samples);
        using var testFeatures = Features(extractor, test.Pixels, test.Count);
        using var trainFeatures = Features(extractor, train.Pixels, train.Count);
        var terms = AnomalyScorer.Score(model, test, config.Score, seed, device);
        var kid = KernelInceptionDistance.Compute(sampleFeatures, testFeatures, seed: seed);
        var dataKid = KernelInceptionDistance.Compute(trainFeatures, testFeatures, seed: seed);

        var report = new SampleQualityReport(SettingNames.Of(config.Prior), samples,
            FrechetDistance.Compute(sampleFeatures, testFeatures), FrechetDistance.Compute(trainFeatures, testFeatures),
            test.Count, terms.SquaredError.Average() / size, extractor.Card.Architecture, extractor.Card.TestAccuracy)
        {
            KidMean = kid.Mean,
            KidStd = kid.Std,
            DataKidMean = dataKid.Mean,
            DataKidStd = dataKid.Std,
            KidSubsets = kid.Subsets,
            KidSubsetSize = kid.SubsetSize,
            DataImages = train.Count,
            Dataset = SettingNames.Of(config.Dataset),
            Observation = config.Observation.Shape,
            HeldOutClass = config.HoldoutDigit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? config.HoldoutClass,
            ClassifierDataset = extractor.Card.Dataset ?? SettingNames.Of(DatasetName.Mnist),
        };
        AtomicFile.WriteAllText(Path.Combine(runFolder, SampleQualityReport.FileName), JsonSerializer.Serialize(report, TrainingConfig.JsonOptions));
        return report;
    }

    /// <summary>
    /// The test images and as many training images at most. With a held-out class: the first <paramref name="samples"/> normal
    /// test images of the protocol and the first as many of the run's training images (the study's numbers since issue 6).
    /// Without: a seeded random draw of <paramref name="samples"/> images of the test split (all of it by default) and a
    /// seeded draw of as many from the train split (the sources list images class by class, so the first ones would not do).
    /// </summary>
    private static (LabeledImages Test, LabeledImages Train) Images(TrainingConfig config, IImageSource source, int samples, int seed)
    {
        if (config.HoldsOut)
        {
            var data = RunData.Load(config, source);
            int[] normals = [.. Enumerable.Range(0, data.Test!.Count).Where(i => data.TestAnomalyLabels![i] == 0).Take(samples)];
            return (data.Test.Select(normals), data.Train.Select([.. Enumerable.Range(0, Math.Min(samples, data.Train.Count))]));
        }
        var rng = new Random(seed);
        var testSplit = source.Load(DataSplit.Test);
        var test = testSplit.Select(Draw(testSplit.Count, Math.Min(samples, testSplit.Count), rng));
        var trainSplit = source.Load(DataSplit.Train);
        return (test, trainSplit.Select(Draw(trainSplit.Count, Math.Min(test.Count, trainSplit.Count), rng)));
    }

    private static int[] Draw(int n, int count, Random rng)
    {
        int[] order = [.. Enumerable.Range(0, n)];
        AnomalySplit.Shuffle(order, rng);
        return order[..count];
    }

    private static Tensor Features(FeatureExtractor extractor, float[] pixels, int count) =>
        tensor(extractor.Features(pixels, count), [count, extractor.Card.FeatureDimension]);
}
