using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using LatentEbm.Data.Datasets;
using LatentEbm.Inference.Benchmarks;
using LatentEbm.Inference.Runtime;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Export;
using LatentEbm.Training.Sampling;
using LatentEbm.Training.Training;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Benchmarks;

/// <summary>Seconds per training iteration of one implementation, with the shares of the chains and the updates.</summary>
/// <param name="Implementation">What ran.</param>
/// <param name="SecondsPerIteration">Mean wall time of a timed iteration.</param>
/// <param name="PriorChainShare">Share of the prior chain.</param>
/// <param name="PosteriorChainShare">Share of the posterior chain.</param>
/// <param name="UpdateShare">Share of the two parameter updates.</param>
public sealed record IterationTiming(string Implementation, double SecondsPerIteration, double PriorChainShare, double PosteriorChainShare, double UpdateShare);

/// <summary>What <see cref="ConvTrainingBenchmark.Run"/> measured.</summary>
/// <param name="Training">LatentEbm's Trainer with each chain engine (torch, onnx_runtime) and PyTorch eager (last) on the same networks, update rules, images and threads.</param>
/// <param name="PosteriorChains">One K1-step posterior chain (batch B) in TorchSharp eager and in ONNX Runtime (the exported Loop graph), same weights, start and noise.</param>
public sealed record ConvTrainingTimings(IReadOnlyList<IterationTiming> Training, IReadOnlyList<ChainTiming> PosteriorChains);

/// <summary>
/// Times conv-generator training (issue 11, part 6) in one run: learning iterations of <see cref="Trainer"/> with
/// the given configuration (the CIFAR-10 job's), once per chain engine (<see cref="TrainingConfig.ChainEngine"/>), beside a PyTorch script running the same networks and update rules
/// (<c>scripts/bench/conv_training.py</c>, Debian's <c>python3-torch</c>) on the same images with the same threads;
/// and one posterior chain in TorchSharp eager against ONNX Runtime.
/// </summary>
public static class ConvTrainingBenchmark
{
    /// <summary>Runs the measurement.</summary>
    /// <param name="config">A conv-generator configuration for [3, 32, 32] images.</param>
    /// <param name="images">Training images; at least (warm-up + iterations) x batch.</param>
    /// <param name="iterations">Timed iterations.</param>
    /// <param name="warmup">Untimed iterations first.</param>
    /// <param name="threads">Torch, PyTorch and ONNX Runtime threads.</param>
    /// <param name="python">The Python interpreter with torch and numpy (Debian's <c>/usr/bin/python3</c>).</param>
    /// <param name="script">Path of <c>conv_training.py</c>.</param>
    /// <param name="pythonLibraryPath">A folder put first on the PyTorch side's <c>LD_LIBRARY_PATH</c> (an optimised BLAS for Debian's
    /// torch, which otherwise runs on the system's <c>libblas.so.3</c>), or null.</param>
    /// <exception cref="InvalidOperationException">The PyTorch side failed; the message has its error output.</exception>
    public static ConvTrainingTimings Run(TrainingConfig config, LabeledImages images, int iterations, int warmup, int threads, string python, string script,
        string? pythonLibraryPath = null)
    {
        if (config.Generator != GeneratorKind.Conv || !config.Observation.Shape.SequenceEqual([3, 32, 32]))
            throw new ArgumentException("the benchmark times the conv generator on [3, 32, 32] images");
        int needed = (warmup + iterations) * config.BatchSize;
        if (images.Count < needed) throw new ArgumentException($"{needed} images needed, {images.Count} given");
        torch.set_num_threads(threads);
        var results = new List<IterationTiming>();

        Trainer? last = null;
        try
        {
            foreach (var engine in new[] { ChainEngine.Torch, ChainEngine.OnnxRuntime })
            {
                var settings = config with { ChainEngine = engine };
                if (warmup > 0)
                    using (var warm = new Trainer(settings, images.Select([.. Enumerable.Range(0, warmup * config.BatchSize)]))) warm.RunEpoch();
                last?.Dispose();
                last = new Trainer(settings, images.Select([.. Enumerable.Range(warmup * config.BatchSize, iterations * config.BatchSize)]));
                var m = last.RunEpoch();
                string name = engine == ChainEngine.Torch
                    ? $"LatentEbm, chain engine torch (TorchSharp {typeof(torch).Assembly.GetName().Version?.ToString(3)}, libtorch)"
                    : "LatentEbm, chain engine onnx_runtime (ONNX Runtime CPU, live weights as graph inputs)";
                results.Add(new IterationTiming(name, m.Seconds / iterations, m.PriorChainSeconds / m.Seconds, m.PosteriorChainSeconds / m.Seconds, m.UpdateSeconds / m.Seconds));
            }
            results.Add(PyTorch(config, images, needed, iterations, warmup, threads, python, script, pythonLibraryPath));
            return new ConvTrainingTimings(results, PosteriorChains(last!, images, config, threads));
        }
        finally
        {
            last?.Dispose();
        }
    }

    private static IterationTiming PyTorch(TrainingConfig config, LabeledImages images, int needed, int iterations, int warmup, int threads, string python, string script, string? libraryPath)
    {
        string file = Path.Combine(Path.GetTempPath(), $"latent-ebm-bench-{Guid.NewGuid():N}.f32");
        try
        {
            using (var stream = File.Create(file))
                stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(images.Pixels.AsSpan(0, needed * images.PixelsPerImage)));
            var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
            if (libraryPath is not null)
                start.Environment["LD_LIBRARY_PATH"] = libraryPath + (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") is { Length: > 0 } rest ? ":" + rest : "");
            foreach (var arg in new[] { "-P", script, $"nz={config.Nz}", $"ngf={config.Ngf}", $"batch={config.BatchSize}", $"k0={config.PriorSteps}",
                         $"s0={config.PriorStepSize}", $"k1={config.PosteriorSteps}", $"s1={config.PosteriorStepSize}", $"sigma={config.Sigma}",
                         $"sigma0={config.Sigma0}", $"threads={threads}", $"iterations={iterations}", $"warmup={warmup}", $"images={file}" })
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {python}");
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"{python} {script} failed ({process.ExitCode}): {stderr.Result}");
            using var doc = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
            var r = doc.RootElement;
            string blas = r.TryGetProperty("blas", out var b) ? b.GetString() ?? "?" : "?";
            return new IterationTiming($"PyTorch {r.GetProperty("torch").GetString()} eager (Debian python3-torch, BLAS {blas})", r.GetProperty("seconds_per_iteration").GetDouble(),
                r.GetProperty("prior_chain_share").GetDouble(), r.GetProperty("posterior_chain_share").GetDouble(), r.GetProperty("update_share").GetDouble());
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static IReadOnlyList<ChainTiming> PosteriorChains(Trainer trainer, LabeledImages images, TrainingConfig config, int threads)
    {
        const int repeats = 5;
        int b = config.BatchSize, k = config.PosteriorSteps, nz = config.Nz;
        var model = trainer.Model;
        using var scope = NewDisposeScope();
        var x = tensor(images.Pixels.AsSpan(0, b * images.PixelsPerImage).ToArray(), [b, 3, 32, 32]);
        var z0 = randn(b, nz);
        var noise = randn(k, b, nz);
        var (reference, eager) = MedianTiming.Measure(() =>
        {
            using var zK = LangevinSampler.PosteriorChain(model, x, z0, k, config.PosteriorStepSize, new ScriptedNoise(noise));
            return zK.data<float>().ToArray();
        }, repeats);
        var results = new List<ChainTiming> { new("TorchSharp eager (autograd per step)", eager, 0, 0) };

        var spec = new LatentEbmSpec(ModuleExporter.ToNetwork(trainer.Prior), ModuleExporter.Generator(trainer.Generator), config.Sigma, config.Sigma0);
        using var graph = OrtGraph.Load(LatentEbmGraphs.PosteriorLangevin(spec, k, ChainForm.Loop).ToByteArray(),
            () => new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL });
        GraphInput[] inputs =
        [
            GraphInput.Float32("x", x.data<float>().ToArray(), b, 3, 32, 32),
            GraphInput.Float32("z", z0.data<float>().ToArray(), b, nz),
            GraphInput.Float32("noise", noise.data<float>().ToArray(), k, b, nz),
            GraphInput.Float32("step_size", new[] { (float)config.PosteriorStepSize }),
        ];
        var (zOnnx, seconds) = MedianTiming.Measure(() => graph.Run(inputs)["z_out"].Floats, repeats);
        results.Add(new ChainTiming("ONNX Runtime CPU, Loop node", seconds, 0, MedianTiming.MaxRelativeDifference(zOnnx, reference)));
        return results;
    }
}
