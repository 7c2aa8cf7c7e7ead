using LatentEbm.Training.Configuration;
using LatentEbm.Inference.Bundles;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Evaluation;
using LatentEbm.Training.Export;
using LatentEbm.Training.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>The pieces of the paper-table study: the Gaussian baseline's bundle, the Fréchet distance and the feature classifier.</summary>
public class StudyTests
{
    public StudyTests() => TorchTestSetup.Init();

    [Fact]
    public void AGaussianPriorRunExportsWithItsValidationCalibratedScore()
    {
        string folder = TestPaths.NewTempFolder();
        var config = SmallRuns.TinyConfig(1) with { HoldoutDigit = 4, Prior = PriorKind.Gaussian, ValidationFraction = 0.1, Score = new() { Steps = 4, Weights = ScoreWeighting.Standardized } };
        using (var run = TrainingRun.Start(folder, config, SmallRuns.Mnist(100)))
        {
            run.TrainToEnd();
            run.CalibrateScore(SmallRuns.Mnist(60));
        }
        var calibration = ScoreCalibration.Read(folder)!;
        Assert.Equal(0, calibration.EnergyStd);
        string bundle = Path.Combine(TestPaths.NewTempFolder(), "gaussian");
        var result = BundleExporter.Export(folder, bundle, ChainForm.Loop, [1, 7]);
        Assert.All(result.Checks, c => Assert.True(c.RelativeError <= c.Tolerance, $"{c.Graph} {c.Quantity}"));
        using var opened = ModelBundle.Open(bundle);
        Assert.Equal(1 / calibration.SquaredErrorStd, opened.Manifest.Score.ReconstructionWeight, 12);
        Assert.Equal(0, opened.Manifest.Score.EnergyWeight);
        Assert.Equal(0, opened.Manifest.Score.LatentNormWeight);
        Assert.Equal(1, calibration.Epoch);
        // A calibration of another epoch than the checkpoint is refused, not silently baked in.
        (calibration with { Epoch = 7 }).Write(folder);
        var stale = Assert.Throws<RunFolderException>(() => BundleExporter.Export(folder, Path.Combine(TestPaths.NewTempFolder(), "stale"), ChainForm.Loop, [1]));
        Assert.Contains("epoch 7", stale.Message);
        // The exported prior is f = 0.
        var f = opened.Run(BundleRoles.PriorEnergy, ("z", new float[] { 3, -1, 2, 0.5f }, [1, 4]))["f"];
        Assert.Equal(0f, f.Data[0]);
    }

    [Fact]
    public void TheFrechetDistanceOfAnAffineCopyHasItsClosedForm()
    {
        // B = c A + m: mu_B = c mu_A + m, S_B = c^2 S_A, so FD = |mu_A - mu_B|^2 + (1 - c)^2 tr(S_A) for any S_A.
        torch.manual_seed(2);
        var a = randn(500, 6, dtype: float64).mm(randn(6, 6, dtype: float64)) + 3;
        const double c = 1.7;
        var m = tensor(new double[] { 1, -2, 0, 0.5, 3, -1 }, float64);
        var b = a * c + m;
        var muA = a.mean([0]);
        double meanTerm = (muA - (muA * c + m)).square().sum().item<double>();
        double traceA = (a - muA).square().sum().item<double>() / 499; // tr S_A, sample covariance
        double expected = meanTerm + (1 - c) * (1 - c) * traceA;
        Assert.Equal(expected, FrechetDistance.Compute(a, b), 1e-8 * expected);
        Assert.InRange(FrechetDistance.Compute(a, a.clone()), 0, 1e-9);
        Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(a, randn(10, 5)));
        var withNan = a.clone();
        withNan[0, 0] = double.NaN;
        Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(withNan, a));
    }

    [Fact]
    public void TheFeatureClassifierShipsAsOnnxAndRefusesADamagedFile()
    {
        string folder = TestPaths.NewTempFolder();
        var card = FeatureClassifier.TrainAndExport(SmallRuns.Mnist(3000), SmallRuns.Mnist(3000), folder, epochs: 3);
        Assert.InRange(card.TestAccuracy, 0.85, 1.0); // on its own training images
        using (var extractor = new FeatureExtractor(folder))
        {
            var images = SmallRuns.Mnist(5);
            float[] features = extractor.Features(images.Pixels, 5);
            Assert.Equal(5 * 128, features.Length);
            Assert.All(features, v => Assert.True(v >= 0)); // after a ReLU
            Assert.Contains(features, v => v > 0);
        }
        string onnx = Path.Combine(folder, FeatureClassifier.OnnxFile);
        var bytes = File.ReadAllBytes(onnx);
        bytes[^10] ^= 0xFF;
        File.WriteAllBytes(onnx, bytes);
        var error = Assert.Throws<IOException>(() => new FeatureExtractor(folder));
        Assert.Contains("SHA-256", error.Message);
    }
}
