using System.Text.Json;
using LatentEbm.Data.Datasets;
using LatentEbm.Data.IO;
using LatentEbm.Training.Checkpoints;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Model;
using LatentEbm.Training.Runs;
using LatentEbm.Training.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Evaluation;

/// <summary>What a run's prior samples and reconstructions measure (<c>sample_quality.json</c>).</summary>
/// <param name="Prior">The run's prior: <c>ebm</c> or <c>gaussian</c>.</param>
/// <param name="Samples">Prior samples decoded and compared.</param>
/// <param name="FrechetDistance">Fréchet distance between decoded prior samples and normal test images, in the feature classifier's space (a proxy, not Inception FID).</param>
/// <param name="DataFrechetDistance">The same distance between as many training images and the normal test images: the floor that sampling noise alone gives.</param>
/// <param name="TestImages">Normal test images used (the run's held-out digit excluded; never trained on).</param>
/// <param name="ReconstructionMse">Mean squared error per pixel ([-1, 1] scale) of g(z) against x over those test images, z from the run's test-time posterior chain.</param>
/// <param name="Classifier">Architecture of the feature classifier.</param>
/// <param name="ClassifierTestAccuracy">Its MNIST test accuracy.</param>
public sealed record SampleQualityReport(string Prior, int Samples, double FrechetDistance, double DataFrechetDistance, int TestImages,
    double ReconstructionMse, string Classifier, double ClassifierTestAccuracy)
{
    /// <summary>File name in the run folder.</summary>
    public const string FileName = "sample_quality.json";
}

/// <summary>
/// Sample quality and reconstruction of a trained run (issue 6's "what the EBM prior buys"): decodes
/// prior samples (<see cref="PriorSampler"/>), embeds them and the normal test images with the
/// shipped feature classifier, and reports the Fréchet distance between the two sets; and the
/// reconstruction error of the normal test images through the test-time posterior chain.
/// </summary>
public static class SampleQualityStudy
{
    /// <summary>Width of the shipped classifier's features: fewer samples than this leave the covariances singular.</summary>
    private const int FeatureDimensionFloor = 128;

    /// <summary>Runs the study on the newest checkpoint of <paramref name="runFolder"/> and writes <c>sample_quality.json</c> there.</summary>
    /// <param name="runFolder">A run trained with a held-out digit.</param>
    /// <param name="dataRoot">Datasets folder.</param>
    /// <param name="classifierFolder">Folder of the feature classifier.</param>
    /// <param name="samples">Prior samples, and at most as many test and training images (default 10,000).</param>
    /// <param name="seed">Seed of the prior chains and the posterior chains.</param>
    /// <exception cref="RunFolderException">Not a run, no checkpoint, or no held-out digit.</exception>
    /// <exception cref="IOException">The classifier is missing or damaged.</exception>
    public static SampleQualityReport Run(string runFolder, string dataRoot, string classifierFolder, int samples = 10_000, int seed = 1)
    {
        if (samples <= FeatureDimensionFloor)
            throw new ArgumentException($"--samples must exceed the classifier's {FeatureDimensionFloor} features (a Fréchet distance needs full-rank covariances); got {samples}");
        var config = TrainingRun.ReadConfig(runFolder);
        if (config.HoldoutDigit is null) throw new RunFolderException(runFolder, "holds out no digit; the study compares with the normal test images of the protocol");
        string checkpoint = new CheckpointStore(runFolder).Latest() ?? throw new RunFolderException(runFolder, "has no checkpoint");
        using var extractor = new FeatureExtractor(classifierFolder);
        var device = new Device(config.Device);
        var (prior, generator, model) = ModelFactory.Create(config, device);
        using var priorScope = prior;
        using var generatorScope = generator;
        CheckpointStore.RestoreNetworks(checkpoint, prior, generator);
        prior.eval();
        generator.eval();

        var data = RunData.Load(config, dataRoot);
        int[] normals = [.. Enumerable.Range(0, data.Test!.Count).Where(i => data.TestAnomalyLabels![i] == 0).Take(samples)];
        var test = data.Test.Select(normals);
        var train = data.Train.Select([.. Enumerable.Range(0, Math.Min(samples, data.Train.Count))]);

        float[] decoded = new float[(long)samples * test.PixelsPerImage];
        using (var rng = new torch.Generator((ulong)seed, device))
            for (int start = 0; start < samples; start += 1000)
            {
                int count = Math.Min(1000, samples - start);
                using var scope = NewDisposeScope();
                var z = PriorSampler.Sample(model, config, count, rng, device);
                using var noGrad = no_grad();
                generator.forward(z).to(float32).cpu().data<float>().CopyTo(decoded.AsSpan(start * test.PixelsPerImage, count * test.PixelsPerImage));
            }
        using var sampleFeatures = Features(extractor, decoded, samples);
        using var testFeatures = Features(extractor, test.Pixels, test.Count);
        using var trainFeatures = Features(extractor, train.Pixels, train.Count);
        var terms = AnomalyScorer.Score(model, test, config.Score, seed, device);

        var report = new SampleQualityReport(Data.Sources.SettingNames.Of(config.Prior), samples,
            FrechetDistance.Compute(sampleFeatures, testFeatures), FrechetDistance.Compute(trainFeatures, testFeatures),
            test.Count, terms.SquaredError.Average() / test.PixelsPerImage, extractor.Card.Architecture, extractor.Card.TestAccuracy);
        AtomicFile.WriteAllText(Path.Combine(runFolder, SampleQualityReport.FileName), JsonSerializer.Serialize(report, TrainingConfig.JsonOptions));
        return report;
    }

    private static Tensor Features(FeatureExtractor extractor, float[] pixels, int count) =>
        tensor(extractor.Features(pixels, count), [count, extractor.Card.FeatureDimension]);
}
