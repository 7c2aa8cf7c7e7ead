using LatentEbm.Data.Datasets;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Export;
using LatentEbm.Training.Runs;
using LatentEbm.Training.Runtime;

namespace LatentEbm.Tests.Shared;

/// <summary>
/// A tiny amortised run (PAPER.md, "Amortised posterior": an MLP encoder q(z|x) starts the posterior chains), one epoch on
/// 100 real MNIST training images with digit 4 held out, nz 4, a few seconds on one torch thread, and its verified bundle
/// (the encoder and amortised_posterior graphs included). Made once per test process; compiled into the test projects
/// that reference training/ (tests only: inference/, pipelines/ and server/ never reference TorchSharp).
/// </summary>
internal static class TinyAmortisedBundle
{
    /// <summary>Test-time refinement steps from mu(x) (score.encoder_steps).</summary>
    public const int EncoderSteps = 3;

    /// <summary>The test-time chain from noise (score.steps).</summary>
    public const int NoiseSteps = 6;

    /// <summary>The configuration of the run: the tiny MLP model with an encoder, K1 = 3 from the encoder in training.</summary>
    public static TrainingConfig Config => new()
    {
        Nz = 4,
        PriorHidden = 16,
        GeneratorHidden = [32, 64],
        EncoderHidden = [64, 32],
        PosteriorStart = PosteriorStart.Encoder,
        EncoderPosteriorSteps = 3,
        PriorSteps = 5,
        PosteriorSteps = 5,
        BatchSize = 50,
        Epochs = 1,
        Seed = 3,
        HoldoutDigit = 4,
        Score = new() { Steps = NoiseSteps, EncoderSteps = EncoderSteps },
    };

    private static readonly Lazy<(string Run, string Bundle)> Built = new(() =>
    {
        TorchRuntime.Initialize(); // before libtorch's first operation, as every entry point does
        TorchSharp.torch.set_num_threads(1);
        var images = ImageDatasets.LoadSplit(TestPaths.Mnist, train: true).Select([.. Enumerable.Range(0, 100)]);
        string run = TestPaths.NewTempFolder();
        using (var training = TrainingRun.Start(run, Config, images)) training.TrainToEnd();
        string bundle = BundleExporter.Export(run, Path.Combine(TestPaths.NewTempFolder(), "mnist-amortised-tiny"), ChainForm.Loop, [1, 7]).Folder;
        return (run, bundle);
    });

    /// <summary>The finished run folder (config.json, one checkpoint with the encoder's weights).</summary>
    public static string Run => Built.Value.Run;

    /// <summary>The exported, verified bundle folder (named mnist-amortised-tiny).</summary>
    public static string Bundle => Built.Value.Bundle;
}
