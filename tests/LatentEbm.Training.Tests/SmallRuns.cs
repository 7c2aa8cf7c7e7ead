using LatentEbm.Data.Datasets;
using LatentEbm.Data.Sources;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Configuration;

namespace LatentEbm.Training.Tests;

/// <summary>Small real-MNIST subsets and configurations quick enough for unit tests.</summary>
internal static class SmallRuns
{
    private static readonly Lazy<LabeledImages> TrainSplit = new(() => ImageDatasets.LoadSplit(TestPaths.Mnist, train: true));

    public static LabeledImages Mnist(int count) => TrainSplit.Value.Select([.. Enumerable.Range(0, count)]);

    /// <summary>The real CIFAR-10 test split (10,000 JPEG-tree images, listed class by class), loaded once.</summary>
    public static readonly Lazy<LabeledImages> CifarTest = new(() => new Cifar10Source(TestPaths.Cifar10).Load(DataSplit.Test));

    /// <summary><paramref name="count"/> CIFAR-10 test images of every class: every 10,000/count-th from <paramref name="offset"/> (offsets below that step give disjoint sets).</summary>
    public static LabeledImages Cifar(int count, int offset = 0)
    {
        int step = CifarTest.Value.Count / count;
        return CifarTest.Value.Select([.. Enumerable.Range(0, count).Select(i => offset + i * step)]);
    }

    /// <summary>Every parameter of the trainer's networks (prior, generator, then the encoder's when it has one) as float64 arrays.</summary>
    public static double[][] Parameters(Training.Trainer t) =>
        [.. t.Prior.parameters().Concat(t.Generator.parameters()).Concat(t.Encoder?.parameters() ?? [])
            .Select(p => p.detach().cpu().to(TorchSharp.torch.float64).data<double>().ToArray())];

    /// <summary>A tiny model and short chains: a few seconds per epoch on one thread; posterior chains from noise (the paper's), unless a test asks for the encoder.</summary>
    public static TrainingConfig TinyConfig(int epochs) => new()
    {
        PosteriorStart = PosteriorStart.Noise,
        Nz = 4,
        PriorHidden = 16,
        GeneratorHidden = [32, 64],
        PriorSteps = 5,
        PosteriorSteps = 5,
        BatchSize = 50,
        Epochs = epochs,
        Seed = 3,
    };

    /// <summary>A finished one-epoch tiny run with digit 4 held out and a 6-step test-time chain, made once per test process (the export tests' source).</summary>
    public static readonly Lazy<string> TinyDigit4Run = new(() =>
    {
        TorchTestSetup.Init();
        string folder = TestPaths.NewTempFolder();
        using var run = Runs.TrainingRun.Start(folder, TinyConfig(1) with { HoldoutDigit = 4, Score = new() { Steps = 6 } }, Mnist(100));
        run.TrainToEnd();
        return folder;
    });
}
