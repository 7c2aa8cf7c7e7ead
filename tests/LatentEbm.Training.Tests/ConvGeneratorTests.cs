using LatentEbm.Data.Datasets;
using LatentEbm.Data.Observations;
using LatentEbm.Data.Sources;
using LatentEbm.Inference;
using LatentEbm.Inference.Bundles;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Export;
using LatentEbm.Training.Model;
using LatentEbm.Training.Runs;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>The paper's ConvTranspose generator: its architecture, its posterior gradient, and a colour run through export.</summary>
public class ConvGeneratorTests
{
    public ConvGeneratorTests() => TorchTestSetup.Init();

    [Fact]
    public void ThirtyTwoPixelStackIsThePapersSvhnNetwork()
    {
        // PAPER.md: ConvT(nz->512, k4 s1 p0) 4x4; ConvT(512->256, k4 s2 p1) 8x8; ConvT(256->128) 16x16; ConvT(128->3) 32x32.
        using var g = new ConvGenerator(100, 64, 3, 32, 32);
        var convs = g.Layers().OfType<ConvTranspose2d>().ToList();
        Assert.Equal([(100L, 512L, 4L, 1L, 0L), (512, 256, 4, 2, 1), (256, 128, 4, 2, 1), (128, 3, 4, 2, 1)],
            convs.Select(c => (c.in_channels, c.out_channels, c.kernel_size[0], c.stride[0], (c.padding ?? [0])[0])).ToList());
        Assert.Equal(3, g.Layers().OfType<LeakyReLU>().Count());
        Assert.IsType<Tanh>(g.Layers().Last());
        using var x = g.forward(randn(5, 100));
        Assert.Equal([5L, 3, 32, 32], x.shape);
        Assert.True(x.abs().max().item<float>() <= 1f);
    }

    [Theory]
    [InlineData(28, 7, 2)]
    [InlineData(32, 4, 3)]
    [InlineData(64, 4, 4)]
    public void EachSupportedSizeHasItsStartAndStages(int size, int start, int stages)
    {
        Assert.Equal((start, stages), ConvGenerator.Plan(size, size));
        using var g = new ConvGenerator(8, 4, 1, size, size);
        using var x = g.forward(randn(2, 8));
        Assert.Equal([2L, 1, size, size], x.shape);
    }

    [Theory]
    [InlineData(30, 30)]
    [InlineData(32, 64)]
    public void AnUnsupportedSizeIsAnErrorNamingTheSizes(int height, int width)
    {
        var error = Assert.Throws<ArgumentException>(() => ConvGenerator.Plan(height, width));
        Assert.Contains($"{height}x{width}", error.Message);
        Assert.Throws<ArgumentException>(() => (SmallRuns.TinyConfig(1) with { Generator = GeneratorKind.Conv, Observation = ObservationSpec.Image(3, height, width) }).Validate());
    }

    [Fact]
    public void PosteriorGradientThroughTheConvGeneratorMatchesCentralDifferencesInFloat64()
    {
        // ∇_z log p(z|x) = ∇_z [f(z) - |x - g(z)|²/(2 sigma²)] - z/sigma0² (PAPER.md, "Model"), checked
        // against central differences of that log density in float64.
        manual_seed(11);
        var config = SmallRuns.TinyConfig(1) with { Generator = GeneratorKind.Conv, Ngf = 2, Nz = 3, Observation = ObservationSpec.Image(3, 32, 32), Sigma0 = 1.5 };
        var (prior, generator, model) = ModelFactory.Create(config, CPU);
        using var p = prior;
        using var g = generator;
        prior.to(float64);
        generator.to(float64);
        var x = rand(2, 3, 32, 32, dtype: float64) * 2 - 1;
        var z = randn(2, 3, dtype: float64);
        double LogDensity(Tensor zz)
        {
            using var noGrad = no_grad();
            return (prior.forward(zz) - (x - generator.forward(zz)).square().flatten(1).sum(1) / (2 * config.Sigma * config.Sigma)
                    - zz.square().sum(1) / (2 * config.Sigma0 * config.Sigma0)).sum().item<double>();
        }
        var analytic = model.GradLogPosterior(x, z).data<double>().ToArray();
        const double h = 1e-6;
        double worst = 0, scale = analytic.Max(Math.Abs);
        for (int i = 0; i < analytic.Length; i++)
        {
            var plus = z.clone(); plus.view(-1)[i] += h;
            var minus = z.clone(); minus.view(-1)[i] -= h;
            double numeric = (LogDensity(plus) - LogDensity(minus)) / (2 * h);
            worst = Math.Max(worst, Math.Abs(numeric - analytic[i]) / scale);
        }
        Assert.True(worst < 1e-6, $"relative error {worst:E2}");
        // The check can fail: the gradient without the reference-prior term is off.
        var wrong = (model.GradLogPosterior(x, z) + z / (config.Sigma0 * config.Sigma0)).data<double>().ToArray();
        Assert.True(wrong.Zip(analytic).Max(t => Math.Abs(t.First - t.Second)) / scale > 1e-3);
    }

    [Fact]
    public void AColourRunOnRealCifarImagesExportsAVerifiedBundleWithItsObservation()
    {
        var images = SmallRuns.CifarTest.Value.Select([.. Enumerable.Range(0, 100)]);
        var config = SmallRuns.TinyConfig(1) with { Generator = GeneratorKind.Conv, Ngf = 4, Nz = 8, Observation = images.Observation, Dataset = DatasetName.Cifar10, Score = new() { Steps = 4 } };
        string folder = TestPaths.NewTempFolder();
        using (var run = TrainingRun.Start(folder, config, images)) run.TrainToEnd();
        Assert.True(File.Exists(Path.Combine(folder, "prior_samples.png")));

        string bundle = Path.Combine(TestPaths.NewTempFolder(), "cifar-tiny");
        var result = BundleExporter.Export(folder, bundle, ChainForm.Loop, [1, 7]);
        Assert.All(result.Checks, c => Assert.True(c.RelativeError <= c.Tolerance, $"{c.Graph} {c.Quantity} {c.Batch}: {c.RelativeError:E2}"));
        using var inference = LatentEbmInference.Open(bundle);
        var manifest = inference.Manifest;
        Assert.Equal(BundleManifest.CurrentSchemaVersion, manifest.SchemaVersion);
        Assert.Equal([3, 32, 32], manifest.Model.ImageShape);
        Assert.Equal(new BundleObservation("image", [3, 32, 32], [-1, 1]), manifest.Observation, ObservationComparer);
        Assert.Equal("conv", manifest.Model.Generator);
        Assert.Equal("cifar-10", manifest.Training.Dataset);
        Assert.Equal(3 * 32 * 32, inference.PixelsPerImage);
        float[] scores = inference.Score(images.Pixels.AsSpan(0, 3 * images.PixelsPerImage).ToArray(), 3, seed: 1);
        Assert.Equal(3, scores.Length);
        Assert.All(scores, s => Assert.True(float.IsFinite(s)));
    }

    [Fact]
    public void AConvRunResumedAfterAKillEndsWithTheSameParametersAsAnUninterruptedOne()
    {
        var images = SmallRuns.CifarTest.Value.Select([.. Enumerable.Range(0, 100)]);
        var config = SmallRuns.TinyConfig(2) with { Generator = GeneratorKind.Conv, Ngf = 2, Nz = 4, Observation = images.Observation, Dataset = DatasetName.Cifar10 };
        double[][] Parameters(Training.Trainer t) =>
            [.. t.Prior.parameters().Concat(t.Generator.parameters()).Select(p => p.detach().to(float64).data<double>().ToArray())];

        string straight = TestPaths.NewTempFolder();
        double[][] expected;
        using (var run = TrainingRun.Start(straight, config, images))
        {
            run.TrainToEnd();
            expected = Parameters(run.Trainer);
        }
        string killed = TestPaths.NewTempFolder();
        using (var cancel = new CancellationTokenSource())
        using (var run = TrainingRun.Start(killed, config, images))
            Assert.Throws<OperationCanceledException>(() =>
                run.TrainToEnd(onIteration: s => { if (s.Epoch == 2) cancel.Cancel(); }, cancellation: cancel.Token));
        using var resumed = TrainingRun.Resume(killed, images);
        Assert.Equal(1, resumed.Trainer.EpochsCompleted);
        resumed.TrainToEnd();
        var actual = Parameters(resumed.Trainer);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);

        // Resuming against images of another shape is refused, naming both shapes.
        var grey = SmallRuns.Mnist(100);
        string other = TestPaths.NewTempFolder();
        using (var run = TrainingRun.Start(other, config with { Epochs = 1 }, images)) run.TrainToEnd();
        var error = Assert.Throws<ArgumentException>(() => TrainingRun.Resume(other, grey, epochs: 2));
        Assert.Contains("[1, 28, 28]", error.Message);
        Assert.Contains("[3, 32, 32]", error.Message);
    }

    private static readonly IEqualityComparer<BundleObservation?> ObservationComparer = EqualityComparer<BundleObservation?>.Create(
        (a, b) => a is not null && b is not null && a.Kind == b.Kind && a.Shape.SequenceEqual(b.Shape) && a.Range.SequenceEqual(b.Range));
}
