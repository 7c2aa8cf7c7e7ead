using LatentEbm.Training.Model;
using LatentEbm.Training.Sampling;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>
/// The training chains on ONNX Runtime (<see cref="OnnxRuntimeChains"/>, the <c>onnx_runtime</c> chain engine) against a
/// float64 TorchSharp reference of the same chain: same weights, start and noise. The float32 chains are compared with the
/// float64 one by their largest absolute error over every coordinate of z_K, beside TorchSharp's own float32 chain's error.
/// </summary>
public class OnnxRuntimeChainTests(ITestOutputHelper output)
{
    private readonly ITestOutputHelper output = Init(output);

    private static ITestOutputHelper Init(ITestOutputHelper output)
    {
        TorchTestSetup.Init();
        return output;
    }

    /// <summary>The float32 model and a float64 twin with the same weights (built twice from one seed).</summary>
    private static (LatentEbmModel Float32, LatentEbmModel Float64) Twins(Func<nn.Module<Tensor, Tensor>> generator, int nz, double sigma = 0.3, double sigma0 = 1.0)
    {
        LatentEbmModel Build()
        {
            manual_seed(11);
            var prior = new PriorEnergyMlp([nz, 200, 200, 1], "leaky_relu");
            return new LatentEbmModel(prior, generator(), nz, sigma, sigma0);
        }
        var single = Build();
        var twin = Build();
        twin.Prior.to(float64);
        twin.Generator.to(float64);
        return (single, twin);
    }

    private static double MaxAbs(Tensor a, Tensor b) => (a.to(float64) - b.to(float64)).abs().max().item<double>();

    /// <summary>Runs the posterior chain three ways; returns (ONNX Runtime's error, TorchSharp float32's error) against float64.</summary>
    private static (double Onnx, double Torch) PosteriorErrors(LatentEbmModel single, LatentEbmModel twin, OnnxRuntimeChains chains, Tensor x, Tensor z0, Tensor noise, double stepSize)
    {
        int steps = (int)noise.shape[0];
        using var reference = LangevinSampler.PosteriorChain(twin, x.to(float64), z0.to(float64), steps, stepSize, new ScriptedNoise(noise.to(float64)));
        using var torch32 = LangevinSampler.PosteriorChain(single, x, z0, steps, stepSize, new ScriptedNoise(noise));
        using var onnx = chains.PosteriorChain(x, z0, noise, stepSize);
        Assert.Equal(float32, onnx.dtype);
        Assert.Equal(z0.shape, onnx.shape);
        return (MaxAbs(onnx, reference), MaxAbs(torch32, reference));
    }

    [Fact]
    public void ThePosteriorChainOfTheMlpGeneratorMatchesAFloat64ReferenceWithTheSameNoise()
    {
        const int nz = 16, batch = 20, steps = 20;
        var (single, twin) = Twins(() => new MlpGenerator(nz, [400, 800], 1, 28, 28), nz);
        using var chains = new OnnxRuntimeChains(single, threads: 1);
        var x = Images(SmallRuns.Mnist(batch), batch);
        var generator = new torch.Generator(5);
        var z0 = randn([batch, nz], generator: generator);
        var noise = randn([steps, batch, nz], generator: generator);

        var (onnx, torch32) = PosteriorErrors(single, twin, chains, x, z0, noise, 0.1);
        output.WriteLine($"MLP posterior chain, max abs error against float64: ONNX Runtime {onnx:E2}, TorchSharp float32 {torch32:E2}");
        // |z_K| is about 1; float32 chains of 20 steps stay within a few 1e-6 of float64 here.
        Assert.True(onnx < 5e-5, $"ONNX Runtime chain off float64 by {onnx:E2} (TorchSharp float32: {torch32:E2})");
        Assert.True(onnx < Math.Max(10 * torch32, 1e-5), $"ONNX Runtime chain off float64 by {onnx:E2}, TorchSharp float32 by {torch32:E2}");
    }

    [Fact]
    public void ThePriorChainMatchesAFloat64ReferenceWithTheSameNoise()
    {
        const int nz = 16, batch = 50, steps = 60;
        var (single, twin) = Twins(() => new MlpGenerator(nz, [32], 1, 4, 4), nz, sigma0: 1.5);
        using var chains = new OnnxRuntimeChains(single, threads: 1);
        var generator = new torch.Generator(6);
        var z0 = randn([batch, nz], generator: generator) * 1.5;
        var noise = randn([steps, batch, nz], generator: generator);

        using var reference = LangevinSampler.PriorChain(twin, z0.to(float64), steps, 0.4, new ScriptedNoise(noise.to(float64)));
        using var torch32 = LangevinSampler.PriorChain(single, z0, steps, 0.4, new ScriptedNoise(noise));
        using var onnx = chains.PriorChain(z0, noise, 0.4);
        double onnxError = MaxAbs(onnx, reference), torchError = MaxAbs(torch32, reference);
        output.WriteLine($"prior chain, max abs error against float64: ONNX Runtime {onnxError:E2}, TorchSharp float32 {torchError:E2}");
        Assert.True(onnxError < 5e-5, $"ONNX Runtime prior chain off float64 by {onnxError:E2} (TorchSharp float32: {torchError:E2})");
        Assert.True(onnxError < Math.Max(10 * torchError, 1e-5), $"ONNX Runtime prior chain off float64 by {onnxError:E2}, TorchSharp float32 by {torchError:E2}");
    }

    [Fact]
    public void ThePosteriorChainOfTheConvGeneratorMatchesAFloat64ReferenceWithTheSameNoise()
    {
        const int nz = 8, batch = 10, steps = 10;
        var (single, twin) = Twins(() => new ConvGenerator(nz, 4, 3, 32, 32), nz);
        using var chains = new OnnxRuntimeChains(single, threads: 1);
        var x = Images(SmallRuns.Cifar(batch), batch);
        var generator = new torch.Generator(7);
        var z0 = randn([batch, nz], generator: generator);
        var noise = randn([steps, batch, nz], generator: generator);

        var (onnx, torch32) = PosteriorErrors(single, twin, chains, x, z0, noise, 0.1);
        output.WriteLine($"conv posterior chain, max abs error against float64: ONNX Runtime {onnx:E2}, TorchSharp float32 {torch32:E2}");
        Assert.True(onnx < 5e-5, $"ONNX Runtime conv chain off float64 by {onnx:E2} (TorchSharp float32: {torch32:E2})");
        Assert.True(onnx < Math.Max(10 * torch32, 1e-5), $"ONNX Runtime conv chain off float64 by {onnx:E2}, TorchSharp float32 by {torch32:E2}");
    }

    [Fact]
    public void TheChainsFollowTheParametersAsTheyAreUpdatedAndReplaced()
    {
        const int nz = 16, batch = 20, steps = 10;
        var (single, twin) = Twins(() => new MlpGenerator(nz, [64, 128], 1, 28, 28), nz);
        using var chains = new OnnxRuntimeChains(single, threads: 1);
        var x = Images(SmallRuns.Mnist(batch), batch);
        var generator = new torch.Generator(8);
        var z0 = randn([batch, nz], generator: generator);
        var noise = randn([steps, batch, nz], generator: generator);
        using var before = chains.PosteriorChain(x, z0, noise, 0.1);

        // An Adam-like step in place, as the trainer's optimisers make between chains; then the float64 twin follows.
        using (no_grad())
        {
            foreach (var p in single.Prior.parameters().Concat(single.Generator.parameters()))
                p.add_(randn(p.shape, generator: generator) * 0.05);
            CopyWeights(single, twin);
        }
        var (afterUpdate, torchAfterUpdate) = PosteriorErrors(single, twin, chains, x, z0, noise, 0.1);
        Assert.True(afterUpdate < Math.Max(10 * torchAfterUpdate, 1e-5), $"after an update, off float64 by {afterUpdate:E2} (TorchSharp float32: {torchAfterUpdate:E2})");
        using (var again = chains.PosteriorChain(x, z0, noise, 0.1))
            Assert.True(MaxAbs(again, before) > 1e-3, "the chain did not see the updated parameters");

        // New tensors in the modules (as loading a state dict may make): still followed.
        using (no_grad())
        {
            var linear = ((MlpGenerator)single.Generator).Linears[1];
            linear.weight = new TorchSharp.Modules.Parameter(linear.weight!.detach().clone() * 0.5);
            CopyWeights(single, twin);
        }
        var (afterSwap, torchAfterSwap) = PosteriorErrors(single, twin, chains, x, z0, noise, 0.1);
        Assert.True(afterSwap < Math.Max(10 * torchAfterSwap, 1e-5), $"after new parameter tensors, off float64 by {afterSwap:E2} (TorchSharp float32: {torchAfterSwap:E2})");
    }

    [Fact]
    public void RunsAreDeterministicAndLeaveTheirInputsAlone()
    {
        const int nz = 16, batch = 30, steps = 20;
        var (single, _) = Twins(() => new MlpGenerator(nz, [400, 800], 1, 28, 28), nz);
        using var chains = new OnnxRuntimeChains(single, threads: 2);
        var x = Images(SmallRuns.Mnist(batch), batch);
        var generator = new torch.Generator(9);
        var z0 = randn([batch, nz], generator: generator);
        var noise = randn([steps, batch, nz], generator: generator);
        var (x0, start, eps) = (x.clone(), z0.clone(), noise.clone());

        using var first = chains.PosteriorChain(x, z0, noise, 0.1);
        using var second = chains.PosteriorChain(x, z0, noise, 0.1);
        Assert.Equal(first.data<float>().ToArray(), second.data<float>().ToArray());
        Assert.True(x.eq(x0).all().item<bool>() && z0.eq(start).all().item<bool>() && noise.eq(eps).all().item<bool>());

        // No steps: the start, copied.
        using var none = chains.PosteriorChain(x, z0, zeros([0, batch, nz]), 0.1);
        Assert.Equal(z0.data<float>().ToArray(), none.data<float>().ToArray());
    }

    [Fact]
    public void WrongShapesAndTypesAreClearErrors()
    {
        const int nz = 16, batch = 4;
        var (single, _) = Twins(() => new MlpGenerator(nz, [32], 1, 28, 28), nz);
        using var chains = new OnnxRuntimeChains(single, threads: 1);
        var x = zeros([batch, 1, 28, 28]);
        var z0 = zeros([batch, nz]);
        Assert.Contains("noise must be [K, 4, 16]", Assert.Throws<ArgumentException>(() => chains.PosteriorChain(x, z0, zeros([3, batch + 1, nz]), 0.1)).Message);
        Assert.Contains("images must be [4, 1, 28, 28]", Assert.Throws<ArgumentException>(() => chains.PosteriorChain(zeros([batch, 1, 14, 14]), z0, zeros([3, batch, nz]), 0.1)).Message);
        Assert.Contains("float32 on the CPU", Assert.Throws<ArgumentException>(() => chains.PriorChain(z0.to(float64), zeros([3, batch, nz], float64), 0.1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => chains.PriorChain(z0, zeros([3, batch, nz]), 0));
        var float64Model = Twins(() => new MlpGenerator(nz, [32], 1, 28, 28), nz).Float64;
        Assert.Contains("float32 on the CPU", Assert.Throws<NotSupportedException>(() => new OnnxRuntimeChains(float64Model, 1)).Message);
    }

    private static Tensor Images(LatentEbm.Data.Datasets.LabeledImages images, int count) =>
        tensor(images.Pixels.AsSpan(0, count * images.PixelsPerImage).ToArray(), [count, images.Channels, images.Height, images.Width]);

    private static void CopyWeights(LatentEbmModel from, LatentEbmModel to)
    {
        var source = from.Prior.parameters().Concat(from.Generator.parameters()).ToArray();
        var target = to.Prior.parameters().Concat(to.Generator.parameters()).ToArray();
        for (int i = 0; i < source.Length; i++) target[i].copy_(source[i]);
    }
}
