using LatentEbm.Training.Configuration;
using LatentEbm.Training.Training;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

public class TrainerTests
{
    public TrainerTests() => TorchTestSetup.Init();

    [Fact]
    public void AShortRunOnRealMnistLowersReconstructionError()
    {
        // The paper's model and chains (nz 16, 200-200 prior, 400-800 generator, K0 60, K1 20), 1,000 images.
        var config = new TrainingConfig { BatchSize = 100, Epochs = 3, Seed = 5 };
        using var trainer = new Trainer(config, SmallRuns.Mnist(1000));
        var first = new List<IterationStats>();
        var epochs = new List<EpochMetrics>();
        for (int e = 0; e < config.Epochs; e++)
            epochs.Add(trainer.RunEpoch(s => { if (s.Iteration == 1) first.Add(s); }));

        double start = first[0].ReconstructionMse, end = epochs[^1].ReconstructionMse;
        Assert.True(end < 0.6 * start, $"reconstruction MSE went from {start:F4} to {end:F4}");
        Assert.True(epochs[^1].FPosterior > epochs[^1].FPrior, "the prior update raises f on posterior samples above prior samples");
        Assert.Equal(10, epochs[0].Iterations);
        Assert.Equal(3, trainer.EpochsCompleted);
    }

    [Fact]
    public void LearningRatesDecayOncePerEpoch()
    {
        var config = SmallRuns.TinyConfig(2) with { LearningRateDecay = 0.5 };
        using var trainer = new Trainer(config, SmallRuns.Mnist(100));
        var e1 = trainer.RunEpoch();
        var e2 = trainer.RunEpoch();
        Assert.Equal(config.PriorLearningRate, e1.PriorLearningRate);
        Assert.Equal(config.GeneratorLearningRate * 0.5, e2.GeneratorLearningRate, 1e-15);
        Assert.Equal(config.GeneratorLearningRate * 0.5, trainer.GeneratorOptimizer.ParamGroups.First().LearningRate, 1e-15);
    }

    [Fact]
    public void ANonFiniteChainStateStopsTrainingNamingIterationAndQuantity()
    {
        var config = SmallRuns.TinyConfig(1);
        using var trainer = new Trainer(config, SmallRuns.Mnist(100));
        using (no_grad()) trainer.Prior.Linears[0].weight!.fill_(double.NaN);
        var error = Assert.Throws<TrainingDivergedException>(() => trainer.RunEpoch());
        Assert.Equal("prior chain state z", error.Quantity);
        Assert.Equal(1, error.Epoch);
        Assert.Equal(1, error.Iteration);
        Assert.Equal(0, trainer.EpochsCompleted);
    }

    [Fact]
    public void ATooLargeLearningRateStopsTrainingBeforeAnyNaN()
    {
        // A learning rate of 1e4 drives f to astronomically large but finite values; that used to train on.
        var config = SmallRuns.TinyConfig(3) with { PriorLearningRate = 1e4 };
        using var trainer = new Trainer(config, SmallRuns.Mnist(100));
        var seen = new List<IterationStats>();
        var error = Assert.Throws<TrainingDivergedException>(() => { for (int e = 0; e < 50; e++) trainer.RunEpoch(s => seen.Add(s)); });
        Assert.NotNull(error.Value);
        Assert.True(Math.Abs(error.Value!.Value) > TrainingDivergedException.Bound, error.Message);
        Assert.Contains(error.Quantity, new[] { "mean f on posterior samples", "mean f on prior samples", "prior loss" });
        Assert.Equal(seen.Count + 1, error.Iteration);
        Assert.Contains($"iteration {error.Iteration}", error.Message);
        Assert.Contains(error.Quantity, error.Message);
        // Every iteration before it stayed within the bound: the check fires at the first bad one.
        Assert.All(seen, s => Assert.InRange(Math.Abs(s.FPrior), 0, TrainingDivergedException.Bound));
    }

    [Fact]
    public void TheDefaultLearningRateStaysWithinTheBound()
    {
        using var trainer = new Trainer(SmallRuns.TinyConfig(1), SmallRuns.Mnist(100));
        var metrics = trainer.RunEpoch();
        Assert.InRange(Math.Abs(metrics.FPrior), 0, 10);
        Assert.InRange(Math.Abs(metrics.FPosterior), 0, 10);
    }

    [Fact]
    public void ASmallTrainingSetGetsItsPicturesInWholeRows()
    {
        // 20 images: reconstructions.png shows 16 in rows of 8 (it indexed past its grid before); 5 images: one row of 5.
        foreach (int count in new[] { 20, 5 })
        {
            string folder = LatentEbm.Tests.Shared.TestPaths.NewTempFolder();
            using (var run = Runs.TrainingRun.Start(folder, SmallRuns.TinyConfig(1) with { BatchSize = 5 }, SmallRuns.Mnist(count))) run.TrainToEnd();
            using var picture = SkiaSharp.SKBitmap.Decode(Path.Combine(folder, "reconstructions.png"));
            int columns = Math.Min(8, count), rows = 2 * (Math.Min(32, count) / columns);
            Assert.Equal((columns * (28 * 2 + 1) + 1, rows * (28 * 2 + 1) + 1), (picture.Width, picture.Height));
        }
    }

    [Fact]
    public void TooFewImagesForOneBatchIsAClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => new Trainer(SmallRuns.TinyConfig(1), SmallRuns.Mnist(20)));
        Assert.Contains("fewer than one batch", e.Message);
    }
}
