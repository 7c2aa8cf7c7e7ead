using System.Diagnostics;
using System.Text.Json;
using LatentEbm.Data.Datasets;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Model;
using LatentEbm.Training.Training;
using TorchSharp;

namespace LatentEbm.Training.Benchmarks;

/// <summary>One timed way of training (a row of the side-by-side table).</summary>
/// <param name="Start">Where the posterior chains start: <c>noise</c> or <c>encoder</c> (<see cref="TrainingConfig.PosteriorStart"/>).</param>
/// <param name="Implementation">What ran: LatentEbm with its chain engine and gradient method, or PyTorch eager.</param>
/// <param name="SecondsPerIteration">Mean wall time of a timed iteration, in seconds.</param>
/// <param name="PriorChainShare">Share of the prior chain in the iteration's time (0..1).</param>
/// <param name="PosteriorChainShare">Share of the posterior chain (the encoder's start draw included).</param>
/// <param name="UpdateShare">Share of the parameter updates (generator, prior and, with an encoder, the encoder).</param>
/// <param name="IsPyTorch">Whether the row is the PyTorch reference.</param>
public sealed record TrainingTiming(string Start, string Implementation, double SecondsPerIteration, double PriorChainShare,
    double PosteriorChainShare, double UpdateShare, bool IsPyTorch = false);

/// <summary>How the PyTorch side of <see cref="TrainingBenchmark"/> runs.</summary>
/// <param name="Python">The interpreter with torch and numpy (Debian's <c>/usr/bin/python3</c> with <c>python3-torch</c>).</param>
/// <param name="Script">Path of <c>scripts/bench/mnist_training.py</c>.</param>
/// <param name="LibraryPath">A folder put first on <c>LD_LIBRARY_PATH</c> (a BLAS for Debian's torch, which links the system's
/// <c>libblas.so.3</c>), or null for the system's libraries.</param>
public sealed record PyTorchSide(string Python, string Script, string? LibraryPath);

/// <summary>
/// Times learning iterations of the default MNIST configuration (or the given one) in one process, same images, seed and
/// threads, for both posterior starts (noise; the encoder q(z|x)): LatentEbm's <see cref="Trainer"/> with each chain engine
/// (<see cref="TrainingConfig.ChainEngine"/>; for noise starts also the torch engine's other gradient paths: the hand-written
/// input VJPs and bfloat16 generator products), and beside them PyTorch eager running the same iteration
/// (<c>scripts/bench/mnist_training.py</c>: same networks, initialisation families, chains, Adam updates and order).
/// Each LatentEbm way runs <c>warmup</c> untimed iterations in a trainer of its own, then <c>iterations</c> timed ones in a fresh one.
/// </summary>
public static class TrainingBenchmark
{
    /// <summary>Runs the measurement.</summary>
    /// <param name="config">Training settings (batch size, chains, networks); the posterior start and chain engine are varied.</param>
    /// <param name="train">Training images <c>[N, 1, 28, 28]</c>; at least (<paramref name="warmup"/> + <paramref name="iterations"/>) × batch.</param>
    /// <param name="iterations">Timed iterations per way.</param>
    /// <param name="warmup">Untimed iterations per way first (at least 1: sessions and graphs are built then).</param>
    /// <param name="threads">Threads of TorchSharp, ONNX Runtime and PyTorch.</param>
    /// <param name="pytorch">The PyTorch side, or null to time LatentEbm alone.</param>
    /// <param name="progress">Told each way's name before it runs.</param>
    /// <returns>Rows for the noise start first, then the encoder start; PyTorch last within each.</returns>
    /// <exception cref="ArgumentException">Too few images, or counts below 1.</exception>
    /// <exception cref="InvalidOperationException">The PyTorch side failed; the message has its error output.</exception>
    public static IReadOnlyList<TrainingTiming> Run(TrainingConfig config, LabeledImages train, int iterations, int warmup, int threads,
        PyTorchSide? pytorch, Action<string>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(warmup);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        int needed = (warmup + iterations) * config.BatchSize;
        if (train.Count < needed) throw new ArgumentException($"{train.Count} images are fewer than the {needed} asked for");
        torch.set_num_threads(threads);
        string torchSharp = $"TorchSharp {typeof(torch).Assembly.GetName().Version?.ToString(3)}";
        (string Start, string Name, TrainingConfig Settings, InputGradientMethod Method)[] ways =
        [
            ("noise", $"LatentEbm, chain engine torch ({torchSharp}: autograd per Langevin step)", config with { PosteriorStart = PosteriorStart.Noise, ChainEngine = ChainEngine.Torch }, InputGradientMethod.Autograd),
            ("noise", $"LatentEbm, chain engine torch, hand-written input VJPs", config with { PosteriorStart = PosteriorStart.Noise, ChainEngine = ChainEngine.Torch }, InputGradientMethod.Analytic),
            ("noise", $"LatentEbm, chain engine torch, bfloat16 generator products in the posterior chain", config with { PosteriorStart = PosteriorStart.Noise, ChainEngine = ChainEngine.Torch, ChainPrecision = ChainPrecision.Bfloat16 }, InputGradientMethod.Autograd),
            ("noise", "LatentEbm, chain engine onnx_runtime (ONNX Runtime 1.31 CPU, live weights as graph inputs)", config with { PosteriorStart = PosteriorStart.Noise, ChainEngine = ChainEngine.OnnxRuntime }, InputGradientMethod.Autograd),
            ("encoder", $"LatentEbm, chain engine torch ({torchSharp}: autograd per Langevin step)", config with { PosteriorStart = PosteriorStart.Encoder, ChainEngine = ChainEngine.Torch }, InputGradientMethod.Autograd),
            ("encoder", "LatentEbm, chain engine onnx_runtime (ONNX Runtime 1.31 CPU, live weights as graph inputs)", config with { PosteriorStart = PosteriorStart.Encoder, ChainEngine = ChainEngine.OnnxRuntime }, InputGradientMethod.Autograd),
        ];
        var rows = new List<TrainingTiming>();
        foreach (var (start, name, settings, method) in ways)
        {
            progress?.Invoke($"{start} start: {name}");
            using (var warm = new Trainer(settings, Subset(train, 0, warmup * config.BatchSize)))
            {
                warm.Model.GradientMethod = method;
                warm.RunEpoch();
            }
            using var trainer = new Trainer(settings, Subset(train, warmup * config.BatchSize, iterations * config.BatchSize));
            trainer.Model.GradientMethod = method;
            var m = trainer.RunEpoch();
            rows.Add(new TrainingTiming(start, name, m.Seconds / iterations, m.PriorChainSeconds / m.Seconds, m.PosteriorChainSeconds / m.Seconds, m.UpdateSeconds / m.Seconds));
        }
        if (pytorch is not null)
        {
            progress?.Invoke("PyTorch eager, both starts");
            var reference = PyTorch(config, train, needed, iterations, warmup, threads, pytorch);
            foreach (var start in new[] { "encoder", "noise" })
                rows.Insert(rows.FindLastIndex(r => r.Start == start) + 1, reference.Single(r => r.Start == start));
        }
        return rows;
    }

    private static List<TrainingTiming> PyTorch(TrainingConfig config, LabeledImages images, int needed, int iterations, int warmup, int threads, PyTorchSide side)
    {
        string file = Path.Combine(Path.GetTempPath(), $"latent-ebm-bench-{Guid.NewGuid():N}.f32");
        try
        {
            using (var stream = File.Create(file))
                stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(images.Pixels.AsSpan(0, needed * images.PixelsPerImage)));
            var start = new ProcessStartInfo(side.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
            if (side.LibraryPath is string libraries)
                start.Environment["LD_LIBRARY_PATH"] = libraries + (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") is { Length: > 0 } rest ? ":" + rest : "");
            foreach (var arg in new[] { "-P", side.Script, $"images={file}", $"nz={config.Nz}", $"batch={config.BatchSize}", $"k0={config.PriorSteps}",
                         $"s0={config.PriorStepSize}", $"k1={config.PosteriorSteps}", $"s1={config.PosteriorStepSize}", $"encoder_steps={config.EncoderPosteriorSteps}",
                         $"sigma={config.Sigma}", $"sigma0={config.Sigma0}", $"threads={threads}", $"iterations={iterations}", $"warmup={warmup}",
                         $"prior_hidden={config.PriorHidden}", $"generator_hidden={string.Join(",", config.GeneratorHidden)}",
                         $"encoder_hidden={string.Join(",", config.EncoderHidden)}", "starts=noise,encoder" })
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {side.Python}");
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"{side.Python} {side.Script} failed ({process.ExitCode}): {stderr.Result}");
            using var doc = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
            var root = doc.RootElement;
            string blas = root.GetProperty("blas").GetString() ?? "?";
            string name = $"PyTorch {root.GetProperty("torch").GetString()} eager (Debian python3-torch, BLAS {blas})";
            return [.. root.GetProperty("results").EnumerateArray().Select(r => new TrainingTiming(r.GetProperty("start").GetString()!, name,
                r.GetProperty("seconds_per_iteration").GetDouble(), r.GetProperty("prior_chain_share").GetDouble(),
                r.GetProperty("posterior_chain_share").GetDouble(), r.GetProperty("update_share").GetDouble(), IsPyTorch: true))];
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static LabeledImages Subset(LabeledImages images, int from, int count) => images.Select([.. Enumerable.Range(from, count)]);
}
