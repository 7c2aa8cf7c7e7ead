using System.Text.Json.Nodes;
using LatentEbm.Data.Datasets;
using LatentEbm.Data.Observations;
using LatentEbm.Data.Sources;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Evaluation;
using LatentEbm.Training.Runs;
using TorchSharp;

namespace LatentEbm.Training.Tests;

/// <summary>
/// The colour feature classifier (a CNN exported as checked ONNX) and the sample-quality study on a colour run
/// without a held-out class, on an MNIST run with one, and refusing a classifier of another input shape.
/// </summary>
public class SampleQualityTests
{
    public SampleQualityTests() => TorchTestSetup.Init();

    private static readonly Lazy<string> CifarClassifier = new(() =>
    {
        string folder = TestPaths.NewTempFolder();
        FeatureClassifier.TrainAndExport(SmallRuns.Cifar(400, 0), SmallRuns.Cifar(400, 1), folder,
            new FeatureClassifierTraining { Dataset = DatasetName.Cifar10, Epochs = 1, PixelNote = "test pixels" });
        return folder;
    });

    private static string MnistClassifier => Path.Combine(TestPaths.RepositoryRoot, "models", "mnist-classifier");

    /// <summary>A source serving fixed images as its splits.</summary>
    private sealed record FixedSource(DatasetName Name, LabeledImages Train, LabeledImages Test) : IImageSource
    {
        public string Location => "fixed test images";

        public LabeledImages Load(DataSplit split) => split == DataSplit.Train ? Train : Test;
    }

    [Fact]
    public void TheCifarClassifierIsACnnWhoseOnnxExportIsCheckedAgainstTorchSharp()
    {
        string folder = CifarClassifier.Value;
        using var extractor = new FeatureExtractor(folder);
        var card = extractor.Card;
        Assert.StartsWith("Conv2d(3, 32, kernel 3, stride 1, padding 1) → ReLU → Conv2d(32, 64, kernel 4, stride 2, padding 1)", card.Architecture);
        Assert.EndsWith("Flatten → Linear(2048, 256) → ReLU → Linear(256, 10)", card.Architecture);
        Assert.Equal((256, "cifar-10", 400, 400, 1), (card.FeatureDimension, card.Dataset, card.TrainImages, card.TestImages, card.Epochs));
        Assert.Equal([3, 32, 32], card.InputShape!);
        Assert.Equal([3, 32, 32], extractor.InputShape);
        Assert.InRange(card.OnnxMaxRelativeError!.Value, 0, FeatureClassifier.ExportTolerance);
        Assert.Contains("proxy for Inception", card.Note);
        Assert.Contains("test pixels", card.Note);
        Assert.True(extractor.Accepts(ObservationSpec.Image(3, 32, 32)));
        Assert.False(extractor.Accepts(ObservationSpec.Grey28));
        Assert.False(extractor.Accepts(ObservationSpec.Image(1, 32, 96))); // as many values, another shape

        var images = SmallRuns.Cifar(400, 5).Select([.. Enumerable.Range(0, 7)]);
        float[] features = extractor.Features(images.Pixels, 7);
        Assert.Equal(7 * 256, features.Length);
        Assert.All(features, v => Assert.True(v >= 0)); // after a ReLU
        Assert.Throws<ArgumentException>(() => extractor.Features(images.Pixels, 6));

        // The export check fails on layers that are not the exported ones (another initialisation).
        torch.manual_seed(99);
        var other = FeatureClassifierNetworks.Create(FeatureClassifierArchitecture.Cnn, images.Observation, 10);
        double error = FeatureClassifier.ExportError(File.ReadAllBytes(Path.Combine(folder, FeatureClassifier.OnnxFile)), other, images);
        Assert.True(error > 1e-2, $"relative error {error:E2}");
    }

    [Fact]
    public void TheShippedCifarClassifierOpensWithItsCard()
    {
        using var extractor = new FeatureExtractor(Path.Combine(TestPaths.RepositoryRoot, "models", "cifar10-classifier")); // checks the SHA-256
        var card = extractor.Card;
        Assert.Equal((256, "cifar-10", 50_000, 10_000, 3, 1), (card.FeatureDimension, card.Dataset, card.TrainImages, card.TestImages, card.Epochs, card.Seed));
        Assert.Equal([3, 32, 32], extractor.InputShape);
        Assert.InRange(card.OnnxMaxRelativeError!.Value, 0, FeatureClassifier.ExportTolerance);
        Assert.Contains("JPEG re-encode", card.Note);
        var images = SmallRuns.Cifar(400, 7).Select([.. Enumerable.Range(0, 20)]);
        Assert.All(extractor.Features(images.Pixels, 20), v => Assert.True(float.IsFinite(v) && v >= 0));
        // The MNIST classifier's card predates the new fields: they read as null, and its input shape comes from the graph.
        using var mnist = new FeatureExtractor(MnistClassifier);
        Assert.Equal((null, null), (mnist.Card.Dataset, mnist.Card.InputShape));
        Assert.Equal([784], mnist.InputShape);
        Assert.True(mnist.Accepts(ObservationSpec.Grey28));
    }

    [Fact]
    public void TheStudyRunsOnAColourRunWithoutAHeldOutClassAndRefusesAClassifierOfAnotherShape()
    {
        var trainImages = SmallRuns.Cifar(400, 2);
        var config = SmallRuns.TinyConfig(1) with { Generator = GeneratorKind.Conv, Ngf = 4, Nz = 8, Observation = trainImages.Observation, Dataset = DatasetName.Cifar10, Score = new() { Steps = 4 } };
        string run = TestPaths.NewTempFolder();
        using (var training = TrainingRun.Start(run, config, trainImages)) training.TrainToEnd();
        var source = new FixedSource(DatasetName.Cifar10, trainImages, SmallRuns.Cifar(400, 3));

        var report = SampleQualityStudy.Run(run, source, CifarClassifier.Value, samples: 300);
        Assert.Equal((300, 300, 300, "cifar-10", "cifar-10"), (report.Samples, report.TestImages, report.DataImages, report.Dataset, report.ClassifierDataset));
        Assert.Equal([3, 32, 32], report.Observation!);
        Assert.Null(report.HeldOutClass);
        Assert.Equal((10, 300), (report.KidSubsets, report.KidSubsetSize));
        double[] values = [report.FrechetDistance, report.DataFrechetDistance, report.KidMean!.Value, report.KidStd!.Value, report.DataKidMean!.Value, report.DataKidStd!.Value, report.ReconstructionMse];
        Assert.All(values, v => Assert.True(double.IsFinite(v)));
        Assert.True(report.ReconstructionMse > 0 && report.FrechetDistance > 0);
        // An untrained decoder's samples are farther from the test images than real training images are.
        Assert.True(report.FrechetDistance > report.DataFrechetDistance && report.KidMean > report.DataKidMean, $"{report}");
        var written = JsonNode.Parse(File.ReadAllText(Path.Combine(run, SampleQualityReport.FileName)))!.AsObject();
        Assert.Equal(report.KidMean, written["kid_mean"]!.GetValue<double>());
        Assert.Equal("cifar-10", written["dataset"]!.GetValue<string>());

        // The shipped MNIST classifier takes [784]; the run observes [3, 32, 32]: refused before any work, naming both.
        File.Delete(Path.Combine(run, SampleQualityReport.FileName));
        var error = Assert.Throws<ArgumentException>(() => SampleQualityStudy.Run(run, source, MnistClassifier, samples: 300));
        Assert.Contains("[784]", error.Message);
        Assert.Contains("[3, 32, 32]", error.Message);
        Assert.False(File.Exists(Path.Combine(run, SampleQualityReport.FileName)));
        // Too few samples for the CNN's 256 features.
        Assert.Throws<ArgumentException>(() => SampleQualityStudy.Run(run, source, CifarClassifier.Value, samples: 256));
    }

    [Fact]
    public void TheStudyOfAnMnistRunWithAHeldOutDigitUsesTheShippedClassifierAndTheProtocolsNormalTestImages()
    {
        string run = TestPaths.NewTempFolder();
        var config = SmallRuns.TinyConfig(1) with { HoldoutDigit = 4, Score = new() { Steps = 4 } };
        using (var training = TrainingRun.Start(run, config, SmallRuns.Mnist(100))) training.TrainToEnd();
        var report = SampleQualityStudy.Run(run, new IdxSource(DatasetName.Mnist, TestPaths.Mnist), MnistClassifier, samples: 200);
        Assert.Equal((200, 200, 200, "mnist", "4", "mnist"), (report.Samples, report.TestImages, report.DataImages, report.Dataset, report.HeldOutClass, report.ClassifierDataset));
        Assert.Equal("Linear(784, 256) → ReLU → Linear(256, 128) → ReLU → Linear(128, 10)", report.Classifier);
        Assert.Equal(0.9718, report.ClassifierTestAccuracy);
        double[] values = [report.FrechetDistance, report.DataFrechetDistance, report.KidMean!.Value, report.DataKidMean!.Value, report.ReconstructionMse];
        Assert.All(values, v => Assert.True(double.IsFinite(v)));
        // A CNN classifier of colour images does not take the MNIST run's [1, 28, 28].
        var error = Assert.Throws<ArgumentException>(() => SampleQualityStudy.Run(run, new IdxSource(DatasetName.Mnist, TestPaths.Mnist), CifarClassifier.Value, samples: 300));
        Assert.Contains("[3, 32, 32]", error.Message);
        Assert.Contains("[1, 28, 28]", error.Message);
    }
}
