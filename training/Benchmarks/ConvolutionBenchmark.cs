using LatentEbm.Inference.Benchmarks;
using LatentEbm.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Benchmarks;

/// <summary>One process's measurement of a ConvTranspose generator's training step under its convolution setting.</summary>
/// <param name="Setting">The convolution setting in force (<see cref="TorchRuntime.DescribeSetting"/>).</param>
/// <param name="MedianSeconds">Median wall time of one forward and backward pass.</param>
/// <param name="WorstSelfCheckError">The largest relative error of the convolution self-check under that setting.</param>
public sealed record ConvolutionTiming(string Setting, double MedianSeconds, double WorstSelfCheckError);

/// <summary>
/// Times a forward and backward pass (input and weight gradients) of the paper's ConvTranspose generator
/// shape at 32x32 (PAPER.md: nz → 4x4 with k4 s1 p0, then k4 s2 p1 stages, LeakyReLU 0.2, tanh) with
/// width <c>ngf</c>, in this process and so under its convolution setting (<see cref="TorchRuntime"/>): run it in one
/// process per setting to compare them (<c>latent-ebm bench convolutions</c>). Weights and input come from a private generator.
/// </summary>
public static class ConvolutionBenchmark
{
    /// <summary>Runs the measurement.</summary>
    /// <param name="batch">Batch size B.</param>
    /// <param name="nz">Latent size.</param>
    /// <param name="ngf">Generator width: channels 4 ngf, 2 ngf, ngf, then 3.</param>
    /// <param name="threads">Torch threads.</param>
    /// <param name="repeats">Timed passes (after one warm-up).</param>
    public static ConvolutionTiming Run(int batch, int nz, int ngf, int threads, int repeats)
    {
        TorchRuntime.Initialize();
        torch.set_num_threads(threads);
        double worst = ConvolutionSelfCheck.Measure()[0].RelativeError;
        using var scope = NewDisposeScope();
        var g = new Generator(7);
        long[] channels = [nz, 4 * ngf, 2 * ngf, ngf, 3];
        var weights = Enumerable.Range(0, 4).Select(i => (randn([channels[i], channels[i + 1], 4, 4], generator: g) * 0.05).requires_grad_(true)).ToArray();
        var z = randn([batch, nz, 1, 1], generator: g);
        double Step()
        {
            using var step = NewDisposeScope();
            var h = z;
            for (int i = 0; i < 4; i++)
            {
                h = i == 0 ? nn.functional.conv_transpose2d(h, weights[i]) : nn.functional.conv_transpose2d(h, weights[i], strides: [2, 2], padding: [1, 1]);
                h = i < 3 ? nn.functional.leaky_relu(h, 0.2) : h.tanh();
            }
            var grads = autograd.grad([h.square().sum()], weights);
            return grads[0].sum().ToDouble();
        }
        Step();
        var (_, median) = MedianTiming.Measure(Step, repeats);
        return new ConvolutionTiming(TorchRuntime.DescribeSetting(), median, worst);
    }
}
