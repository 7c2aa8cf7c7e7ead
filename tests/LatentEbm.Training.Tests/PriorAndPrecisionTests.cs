using LatentEbm.Training.Configuration;
using LatentEbm.Training.Evaluation;
using LatentEbm.Training.Model;
using LatentEbm.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>The Gaussian-prior baseline, the bfloat16 posterior chain and the validation calibration of the score.</summary>
public class PriorAndPrecisionTests
{
    public PriorAndPrecisionTests() => TorchTestSetup.Init();

    [Fact]
    public void AGaussianPriorStaysExactlyZeroWhileTheGeneratorLearns()
    {
        var config = SmallRuns.TinyConfig(1) with { Prior = PriorKind.Gaussian };
        using var trainer = new Trainer(config, SmallRuns.Mnist(500));
        var generatorBefore = trainer.Generator.parameters().Select(p => p.detach().clone()).ToList();
        var metrics = trainer.RunEpoch();

        var z = randn(64, config.Nz) * 3;
        Assert.Equal(0.0, trainer.Prior.forward(z).abs().max().item<float>());
        Assert.Equal(0.0, (trainer.Model.GradLogPrior(z) + z).abs().max().item<float>()); // ∇ log N(0, 1) = -z
        Assert.Equal(0.0, metrics.FPrior);
        Assert.Contains(trainer.Generator.parameters().Zip(generatorBefore), p => (p.First - p.Second).abs().max().item<float>() > 1e-4);
        // Prior samples are N(0, sigma0^2 I) itself.
        using var rng = new torch.Generator(5);
        var samples = trainer.SamplePrior(20_000, rng);
        Assert.InRange(samples.std().item<float>(), 0.98, 1.02);
    }

    [Fact]
    public void TheBfloat16PosteriorGradientIsCloseToFloat32ButNotEqual()
    {
        torch.manual_seed(11);
        using var prior = new PriorEnergyMlp([16, 200, 200, 1], "leaky_relu");
        using var generator = new MlpGenerator(16, [400, 800], 1, 28, 28);
        var model = new LatentEbmModel(prior, generator, 16, sigma: 0.3, sigma0: 1);
        var z = randn(50, 16);
        var x = rand(50, 1, 28, 28) * 2 - 1;
        var exact = model.GradLogPosterior(x, z);
        var mixed = model.GradLogPosterior(x, z, bfloat16);
        Assert.Equal(float32, mixed.dtype);
        double relative = ((mixed - exact).norm() / exact.norm()).item<float>();
        // bfloat16 keeps 8 significant bits: 3.6% of the gradient's norm here, at a random initialisation.
        Assert.InRange(relative, 1e-4, 5e-2);
        // The prior's gradient does not change precision.
        Assert.Equal(0.0, (model.GradLogPrior(z) - model.GradLogPrior(z)).abs().max().item<float>());
    }

    [Fact]
    public void StandardizedWeightsAreTheInverseValidationSpreads()
    {
        var terms = new ScoreTerms([1, 3, 5, 7], [2, 2, 4, 4], [0, 1, 0, 1]);
        var calibration = ScoreCalibration.Measure(terms);
        Assert.Equal(Math.Sqrt(20.0 / 3), calibration.SquaredErrorStd, 12);
        Assert.Equal(Math.Sqrt(4.0 / 3), calibration.EnergyStd, 12);
        var weights = calibration.StandardizedWeights();
        Assert.Equal(1 / Math.Sqrt(20.0 / 3), weights.Reconstruction, 12);
        Assert.Equal(1 / Math.Sqrt(4.0 / 3), weights.Energy, 12);
        Assert.Equal(0, weights.LatentNorm);
        // A Gaussian prior has no energy spread: the score is the reconstruction alone.
        Assert.Equal(0, ScoreCalibration.Measure(new ScoreTerms([1, 2, 4], [0, 0, 0], [1, 1, 1])).StandardizedWeights().Energy);
        var config = new Configuration.AnomalyScoreConfig { Weights = ScoreWeighting.Standardized };
        Assert.Throws<ArgumentException>(() => config.ResolveWeights(0.3, 1));
        Assert.Equal(weights, config.ResolveWeights(0.3, 1, calibration));
        // Asked for without a validation split, it fails before any training.
        var run = new Configuration.TrainingConfig { HoldoutDigit = 4, Score = config };
        Assert.Contains("validation", Assert.Throws<ArgumentException>(run.Validate).Message);
        (run with { ValidationFraction = 0.1 }).Validate();
        // A calibration file with impossible spreads is a typed error naming it, not silent zero weights.
        string folder = LatentEbm.Tests.Shared.TestPaths.NewTempFolder();
        File.WriteAllText(Path.Combine(folder, ScoreCalibration.FileName), """{"validation_images": 5000, "squared_error_std": 25, "energy_std": -1.6, "latent_norm_std": 1}""");
        Assert.Contains(ScoreCalibration.FileName, Assert.Throws<IOException>(() => ScoreCalibration.Read(folder)).Message);
    }

    [Theory]
    [InlineData(1e-11, 2.0, "energy_std 1E-11")]          // 1e-11 of an energy of scale 2: float32 noise, once a weight of 1e11
    [InlineData(1e-7, 500.0, "energy_std 1E-07")]         // relative 2e-10: still noise
    [InlineData(1e-11, null, "unrecorded, taken as 1")]   // older files: the scale floor of 1
    public void ATinyButPositiveSpreadIsATypedErrorNamingTheFile(double energyStd, double? energyScale, string expected)
    {
        string folder = LatentEbm.Tests.Shared.TestPaths.NewTempFolder();
        string scale = energyScale is double e ? $", \"energy_scale\": {e}, \"squared_error_scale\": 180" : "";
        string path = Path.Combine(folder, ScoreCalibration.FileName);
        File.WriteAllText(path, $$"""{"validation_images": 5000, "squared_error_std": 25, "energy_std": {{energyStd:R}}, "latent_norm_std": 1{{scale}}}""");
        var error = Assert.Throws<IOException>(() => ScoreCalibration.Read(folder));
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
        Assert.Contains("float32 rounding", error.Message);
        // The same spreads measured in memory are refused too, rather than weighing the energy by 1/energyStd.
        var measured = new ScoreCalibration(5000, 25, energyStd, 1, null, 180, energyScale);
        Assert.Throws<ArgumentException>(measured.StandardizedWeights);
        // A real spread of the same scale is accepted: 1e-3 of the values is well above float32 rounding.
        File.WriteAllText(path, $$"""{"validation_images": 5000, "squared_error_std": 25, "energy_std": {{1e-3 * (energyScale ?? 1):R}}, "latent_norm_std": 1{{scale}}}""");
        Assert.Equal(1 / (1e-3 * (energyScale ?? 1)), ScoreCalibration.Read(folder)!.StandardizedWeights().Energy, 9);
    }

    [Fact]
    public void MeasuredCalibrationsRecordTheirValuesScale()
    {
        var calibration = ScoreCalibration.Measure(new ScoreTerms([1, 3, 5, 7], [2, -2, 4, 4], [0, 1, 0, 1]));
        Assert.Equal(4.0, calibration.SquaredErrorScale);
        Assert.Equal(3.0, calibration.EnergyScale); // mean |E| = mean |-f|
        // An energy that varies only in its last float32 bits is refused instead of weighed by 1/sd.
        var flat = new ScoreTerms([1, 3, 5, 7], [1000, 1000, 1000, 1000.0001], [0, 1, 0, 1]);
        Assert.Contains("energy_std", Assert.Throws<ArgumentException>(ScoreCalibration.Measure(flat).StandardizedWeights).Message);
    }

    [Fact]
    public void TheValidationSplitIsCarvedFromTrainingImagesOnly()
    {
        var config = new Configuration.TrainingConfig { HoldoutDigit = 4, ValidationFraction = 0.1 };
        var data = Runs.RunData.Load(config, Path.GetDirectoryName(LatentEbm.Tests.Shared.TestPaths.Mnist)!);
        Assert.NotNull(data.Validation);
        int normals = data.Train.Count + data.Validation!.Count;
        Assert.Equal(Math.Round(0.1 * normals), data.Validation.Count);
        Assert.DoesNotContain((byte)4, data.Validation.Labels);
        var noValidation = Runs.RunData.Load(config with { ValidationFraction = 0 }, Path.GetDirectoryName(LatentEbm.Tests.Shared.TestPaths.Mnist)!);
        Assert.Null(noValidation.Validation);
        Assert.Equal(normals, noValidation.Train.Count);
        Assert.Equal(noValidation.Test!.Count, data.Test!.Count);
    }
}
