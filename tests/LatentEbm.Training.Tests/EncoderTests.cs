using System.Text.Json;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Model;
using LatentEbm.Training.Runs;
using LatentEbm.Training.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>The amortised posterior q(z|x) against PyTorch float64 autograd (tests/fixtures/encoder_cases.json), and its training.</summary>
public class EncoderTests
{
    public EncoderTests() => TorchTestSetup.Init();

    private static readonly Lazy<JsonElement> Cases = new(() =>
        JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("encoder_cases.json"))).RootElement.GetProperty("cases"));

    private static double[] Doubles(JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetDouble())];

    /// <summary>The case's encoder in float64 with the fixture's weights, its images and latents.</summary>
    private static (Encoder Encoder, Tensor X, Tensor Z) Build(JsonElement c)
    {
        int nz = c.GetProperty("nz").GetInt32();
        int[] shape = [.. c.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32())];
        var encoder = c.GetProperty("kind").GetString() == "mlp"
            ? Encoder.Mlp(nz, [6, 5], shape[0], shape[1], shape[2])
            : Encoder.Conv(nz, 2, shape[0], shape[1], shape[2]);
        encoder.to(float64);
        var layers = encoder.Layers().Where(m => m is Linear or Conv2d).ToList();
        var specs = c.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(specs.Count, layers.Count);
        using (no_grad())
            for (int i = 0; i < layers.Count; i++)
            {
                var (weight, bias) = layers[i] switch
                {
                    Linear l => (l.weight!, l.bias!),
                    Conv2d k => (k.weight!, k.bias!),
                    _ => throw new InvalidOperationException(),
                };
                weight.copy_(tensor(Doubles(specs[i].GetProperty("weight")), float64).view(weight.shape));
                bias.copy_(tensor(Doubles(specs[i].GetProperty("bias")), float64));
            }
        long batch = c.GetProperty("log_q").GetArrayLength();
        var x = tensor(Doubles(c.GetProperty("x")), float64).view([batch, .. shape.Select(d => (long)d)]);
        var z = tensor(Doubles(c.GetProperty("z")), float64).view(batch, nz);
        return (encoder, x, z);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void LogDensityAndTheEncoderLossGradientMatchPyTorchFloat64(int index)
    {
        var c = Cases.Value[index];
        var (encoder, x, z) = Build(c);
        using var _ = encoder;
        var logQ = encoder.LogDensity(x, z);
        Assert.Equal(Doubles(c.GetProperty("log_q")), logQ.detach().data<double>().ToArray(), (a, b) => Math.Abs(a - b) <= 1e-12 * Math.Max(1, Math.Abs(a)));

        var loss = -logQ.mean();
        loss.backward();
        Assert.Equal(c.GetProperty("loss").GetDouble(), loss.item<double>(), 1e-12);
        var layers = encoder.Layers().Where(m => m is Linear or Conv2d).ToList();
        var grads = c.GetProperty("grads").EnumerateArray().ToList();
        for (int i = 0; i < layers.Count; i++)
        {
            var parameters = layers[i].parameters().ToList(); // weight, bias
            double[] expectedWeight = Doubles(grads[i].GetProperty("weight")), expectedBias = Doubles(grads[i].GetProperty("bias"));
            double[] actualWeight = parameters[0].grad!.flatten().data<double>().ToArray(), actualBias = parameters[1].grad!.data<double>().ToArray();
            for (int j = 0; j < expectedWeight.Length; j++) Assert.Equal(expectedWeight[j], actualWeight[j], 1e-12);
            for (int j = 0; j < expectedBias.Length; j++) Assert.Equal(expectedBias[j], actualBias[j], 1e-12);
        }
    }

    [Fact]
    public void SwappingMeanAndLogVarianceIsCaughtByTheOracle()
    {
        // The check above can fail: the same network read with mu and log sigma² swapped is far from PyTorch's log q.
        var c = Cases.Value[0];
        var (encoder, x, z) = Build(c);
        using var _ = encoder;
        var (mean, logVariance) = encoder.Gaussian(x);
        var swapped = ((z - logVariance).square() * (-mean).exp() + mean + Math.Log(2 * Math.PI)).sum(1) * -0.5;
        double[] expected = Doubles(c.GetProperty("log_q")), wrong = swapped.detach().data<double>().ToArray();
        Assert.True(expected.Zip(wrong).Max(p => Math.Abs(p.First - p.Second)) > 1e-2);
    }

    [Fact]
    public void TheConvEncoderMirrorsTheConvGenerator()
    {
        using var encoder = Encoder.Conv(nz: 8, ngf: 16, channels: 1, height: 28, width: 28);
        using var generator = new ConvGenerator(8, 16, 1, 28, 28);
        // 28x28: Conv 1 → 32 at 14x14, 32 → 64 at 7x7, Linear 64·7·7 → 16; the generator: 8 → 64 at 7x7 → 32 at 14x14 → 1.
        var convs = encoder.Layers().OfType<Conv2d>().Select(k => (k.in_channels, k.out_channels)).ToArray();
        Assert.Equal([(1L, 32L), (32L, 64L)], convs);
        var linear = encoder.Layers().OfType<Linear>().Single();
        Assert.Equal((64L * 7 * 7, 16L), (linear.in_features, linear.out_features));
        using var x = generator.forward(randn(3, 8));
        using var output = encoder.forward(x);
        Assert.Equal([3L, 16L], output.shape);
    }

    [Fact]
    public void TrainingFitsTheEncoderToTheChainsEndPoints()
    {
        // The encoder's loss −log q(z_K|x) falls from its first epoch to its last, and the run's other metrics stay finite.
        var config = SmallRuns.TinyConfig(4) with { PosteriorStart = PosteriorStart.Encoder, EncoderHidden = [64, 32], EncoderPosteriorSteps = 3, EncoderLearningRate = 1e-3 };
        using var trainer = new Trainer(config, SmallRuns.Mnist(300));
        Assert.NotNull(trainer.Encoder);
        var history = Enumerable.Range(0, 4).Select(_ => trainer.RunEpoch()).ToList();
        Assert.All(history, h => Assert.True(double.IsFinite(h.EncoderNll) && double.IsFinite(h.ReconstructionMse)));
        Assert.True(history[^1].EncoderNll < history[0].EncoderNll - 0.5, $"encoder NLL {history[0].EncoderNll:F3} → {history[^1].EncoderNll:F3}");
    }

    [Fact]
    public void ANoiseStartedRunHasNoEncoderAndRecordsNoEncoderLoss()
    {
        using var trainer = new Trainer(SmallRuns.TinyConfig(1), SmallRuns.Mnist(100));
        Assert.Null(trainer.Encoder);
        Assert.Null(trainer.EncoderOptimizer);
        Assert.Equal(0, trainer.RunEpoch().EncoderNll);
    }

    [Fact]
    public void TheDefaultStartIsTheEncoderButAConfigWrittenBeforeTheSettingReadsAsNoise()
    {
        Assert.Equal(PosteriorStart.Encoder, new TrainingConfig().PosteriorStart);
        string json = new TrainingConfig().ToJson();
        Assert.Equal(PosteriorStart.Encoder, TrainingConfig.FromJson(json).PosteriorStart);
        var withoutKey = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        Assert.True(withoutKey.Remove("posterior_start"));
        Assert.Equal(PosteriorStart.Noise, TrainingConfig.FromJson(withoutKey.ToJsonString()).PosteriorStart);
        // The checkpoint manifest reads its configuration the same way.
        var manifest = System.Text.Json.JsonSerializer.Deserialize<Checkpoints.CheckpointManifest>(
            $$$"""{"format_version": 1, "epoch": 1, "config": {{{withoutKey.ToJsonString()}}}, "history": [], "sha256": {}}""", TrainingConfig.JsonOptions)!;
        Assert.Equal(PosteriorStart.Noise, manifest.Config.PosteriorStart);
    }

    [Fact]
    public void ANegativeEncoderChainLengthIsRefusedNamingTheSetting()
    {
        var error = Assert.Throws<ArgumentException>(() => (SmallRuns.TinyConfig(1) with { EncoderPosteriorSteps = -1 }).Validate());
        Assert.Contains("encoder_posterior_steps", error.Message);
    }

    [Fact]
    public void ResumingARunWithoutAnEncoderAsAmortisedIsRefusedNamingTheSetting()
    {
        var data = SmallRuns.Mnist(100);
        string folder = TestPaths.NewTempFolder();
        using (var run = TrainingRun.Start(folder, SmallRuns.TinyConfig(1), data)) run.TrainToEnd();
        string path = Path.Combine(folder, "config.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"posterior_start\": \"noise\"", "\"posterior_start\": \"encoder\""));
        var error = Assert.ThrowsAny<Exception>(() => TrainingRun.Resume(folder, data, epochs: 2));
        Assert.Contains("posterior_start", error.Message);
    }
}
