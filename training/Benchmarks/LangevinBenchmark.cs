using Google.Protobuf;
using LatentEbm.Inference.Benchmarks;
using LatentEbm.Inference.Runtime;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Training.Export;
using LatentEbm.Training.Model;
using LatentEbm.Training.Sampling;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Benchmarks;

/// <summary>One timed way of running the prior chain.</summary>
/// <param name="Method">What ran.</param>
/// <param name="MedianSeconds">Median wall time of one K-step chain.</param>
/// <param name="GflopPerSecond">Floating-point work of the chain (see <see cref="LangevinBenchmark.ChainFlops"/>) per second.</param>
/// <param name="MaxRelativeDifference">Largest relative difference of its z_K from TorchSharp eager's.</param>
public sealed record ChainTiming(string Method, double MedianSeconds, double GflopPerSecond, double MaxRelativeDifference);

/// <summary>
/// Times one prior Langevin chain (K steps, batch B, MLP nz → h → h → 1) three ways in one process:
/// TorchSharp eager (autograd per step, and the hand-written input VJP), and ONNX Runtime on the exported graph as one Loop node and
/// as K unrolled steps. Same weights, start and noise for all; the same thread count everywhere.
/// </summary>
public static class LangevinBenchmark
{
    /// <summary>
    /// Multiply-adds of one chain, counted as 2 FLOP each: per step a forward pass
    /// B (nz h + h h + h) and the input VJP B (h + h h + h nz) through the linear layers; the
    /// element-wise work (activations, the update) is left out.
    /// </summary>
    public static double ChainFlops(int steps, int batch, int nz, int hidden) =>
        2.0 * steps * batch * 2 * ((double)nz * hidden + (double)hidden * hidden + hidden);

    /// <summary>Runs the measurement.</summary>
    /// <param name="steps">K (60 in the paper).</param>
    /// <param name="batch">B (100).</param>
    /// <param name="nz">Latent size (100).</param>
    /// <param name="hidden">Prior MLP width (200).</param>
    /// <param name="threads">Threads for TorchSharp and ONNX Runtime alike.</param>
    /// <param name="repeats">Timed runs per method (after one warm-up).</param>
    public static IReadOnlyList<ChainTiming> Run(int steps = 60, int batch = 100, int nz = 100, int hidden = 200, int threads = 2, int repeats = 20)
    {
        torch.set_num_threads(threads);
        torch.manual_seed(0);
        using var prior = new PriorEnergyMlp([nz, hidden, hidden, 1], "leaky_relu");
        var model = new LatentEbmModel(prior, nn.Identity(), nz, sigma: 1, sigma0: 1);
        var spec = new LatentEbmSpec(ModuleExporter.ToNetwork(prior), new Onnx.Layers.Network([new Onnx.Layers.Reshape(nz, 1, 1)], [nz]), 1, 1);
        const float stepSize = 0.4f;
        using var z0 = randn(batch, nz);
        using var noise = randn(steps, batch, nz);
        float[] zData = z0.data<float>().ToArray(), noiseData = noise.data<float>().ToArray();
        double flops = ChainFlops(steps, batch, nz, hidden);

        float[] Eager(InputGradientMethod method)
        {
            model.GradientMethod = method;
            using var zK = LangevinSampler.PriorChain(model, z0, steps, stepSize, new ScriptedNoise(noise));
            return zK.data<float>().ToArray();
        }
        var (reference, eager) = MedianTiming.Measure(() => Eager(InputGradientMethod.Autograd), repeats);
        var (analyticZ, analytic) = MedianTiming.Measure(() => Eager(InputGradientMethod.Analytic), repeats);
        var results = new List<ChainTiming>
        {
            new("TorchSharp eager (autograd per step)", eager, flops / eager / 1e9, 0),
            new("TorchSharp eager (hand-written input VJP)", analytic, flops / analytic / 1e9, MedianTiming.MaxRelativeDifference(analyticZ, reference)),
        };

        foreach (var form in new[] { ChainForm.Loop, ChainForm.Unrolled })
        {
            using var graph = OrtGraph.Load(LatentEbmGraphs.PriorLangevin(spec, steps, form).ToByteArray(),
                () => new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL });
            GraphInput[] inputs =
            [
                GraphInput.Float32("z", zData, batch, nz),
                GraphInput.Float32("noise", noiseData, steps, batch, nz),
                GraphInput.Float32("step_size", new[] { stepSize }),
            ];
            var (zK, seconds) = MedianTiming.Measure(() => graph.Run(inputs)["z_out"].Floats, repeats);
            results.Add(new ChainTiming($"ONNX Runtime CPU, {(form == ChainForm.Loop ? "Loop node" : $"{steps} unrolled steps")}", seconds, flops / seconds / 1e9, MedianTiming.MaxRelativeDifference(zK, reference)));
        }
        return results;
    }
}
