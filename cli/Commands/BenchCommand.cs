using System.CommandLine;
using System.Globalization;
using System.Text;
using LatentEbm.Data.IO;
using LatentEbm.Training.Benchmarks;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary><c>latent-ebm bench langevin</c>: times the prior chain in TorchSharp eager and ONNX Runtime (Loop and unrolled).</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var steps = new Option<int>("--steps") { Description = "K", DefaultValueFactory = _ => 60 };
        var batch = new Option<int>("--batch") { Description = "B", DefaultValueFactory = _ => 100 };
        var nz = new Option<int>("--nz") { Description = "Latent size", DefaultValueFactory = _ => 100 };
        var threads = new Option<int>("--threads") { Description = "Threads for both runtimes", DefaultValueFactory = _ => Environment.ProcessorCount };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per method", DefaultValueFactory = _ => 20 };
        var report = new Option<string?>("--report") { Description = "Also write the table as a Markdown section of this file (e.g. docs/benchmarks.md)" };
        var langevin = new Command("langevin", "Time one prior Langevin chain (MLP nz-200-200-1): TorchSharp eager vs ONNX Runtime Loop vs unrolled, same weights, start, noise and threads.")
        {
            steps, batch, nz, threads, repeats, report,
        };
        langevin.SetAction(parse =>
        {
            int k = parse.GetValue(steps), b = parse.GetValue(batch), n = parse.GetValue(nz), t = parse.GetValue(threads);
            var timings = LangevinBenchmark.Run(k, b, n, 200, t, parse.GetValue(repeats));
            double eager = timings[0].MedianSeconds;
            var table = new Table().AddColumns("method", "median ms", "speed-up vs eager", "GFLOP/s", "max rel. diff of z_K");
            table.Title = new TableTitle($"Prior chain K={k}, B={b}, nz={n}, MLP {n}-200-200-1, {t} threads");
            var md = new StringBuilder()
                .AppendLine($"## Prior Langevin chain: K={k}, B={b}, nz={n}, MLP {n}-200-200-1, {t} threads")
                .AppendLine()
                .AppendLine($"Command: `./latent-ebm bench langevin --steps {k} --batch {b} --nz {n} --threads {t}`; {Environment.ProcessorCount}-core machine, {DateTime.UtcNow:yyyy-MM-dd}. FLOP counted as 2 per multiply-add of the linear layers' forward pass and input VJP ({LangevinBenchmark.ChainFlops(k, b, n, 200) / 1e9:F2} GFLOP per chain).")
                .AppendLine()
                .AppendLine("| method | median ms | speed-up vs eager | GFLOP/s | max rel. diff of z_K |")
                .AppendLine("|---|---|---|---|---|");
            foreach (var r in timings)
            {
                string[] cells = [r.Method, (r.MedianSeconds * 1e3).ToString("F1", CultureInfo.InvariantCulture), (eager / r.MedianSeconds).ToString("F2", CultureInfo.InvariantCulture) + "x",
                    r.GflopPerSecond.ToString("F1", CultureInfo.InvariantCulture), r.MaxRelativeDifference.ToString("E1", CultureInfo.InvariantCulture)];
                table.AddRow(cells);
                md.AppendLine($"| {string.Join(" | ", cells)} |");
            }
            AnsiConsole.Write(table);
            if (parse.GetValue(report) is string path)
            {
                MarkdownSections.Replace(path, "langevin", md.ToString());
                AnsiConsole.MarkupLineInterpolated($"Written to {path}");
            }
            return 0;
        });
        var bench = new Command("bench", "Benchmarks (speed targets live here, never in unit tests).") { langevin, TrainingBench(), InferenceBench(), ServeBench(), ReplicaBenchCommand.Create(), LatentsBench(), ProvidersBench(), ConvolutionBenchCommand.Create(), ServeMemoryBenchCommand.Create(), ConvTrainingBench(), MlNetBench() };
        return bench;
    }

    /// <summary>Where <c>scripts/bench/fetch-openblas.sh</c> unpacks Debian's OpenBLAS (OpenMP build) for the PyTorch side.</summary>
    private const string OpenBlasFolder = ".cache/openblas/usr/lib/x86_64-linux-gnu/openblas-openmp";

    private static Command TrainingBench()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Datasets folder (MNIST training images)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var iterations = new Option<int>("--iterations") { Description = "Timed iterations per way", DefaultValueFactory = _ => 30 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed iterations per way first", DefaultValueFactory = _ => 5 };
        var threads = new Option<int>("--threads") { Description = "Threads of TorchSharp, ONNX Runtime and PyTorch", DefaultValueFactory = _ => 1 };
        var python = new Option<string>("--python") { Description = "Python with torch and numpy (Debian python3-torch)", DefaultValueFactory = _ => "/usr/bin/python3" };
        var blas = new Option<string>("--pytorch-blas") { Description = $"BLAS of the PyTorch side: openblas (Debian's libopenblas0-openmp, unpacked into {OpenBlasFolder} by scripts/bench/fetch-openblas.sh; nothing is installed) or system (whatever libblas.so.3 the system has: netlib's reference BLAS on a bare Debian)", DefaultValueFactory = _ => "openblas" };
        var noPyTorch = new Option<bool>("--no-pytorch") { Description = "Time LatentEbm alone" };
        var report = new Option<string?>("--report") { Description = "Also write the table as a Markdown section of this file" };
        var command = new Command("training", "Time learning iterations of the default MNIST configuration side by side: LatentEbm with each chain engine (torch, onnx_runtime) and PyTorch eager running the same iteration (scripts/bench/mnist_training.py), for noise-started and encoder-started posterior chains; seconds per iteration, shares of the chains and updates, ratios within the run.")
        {
            dataDir, iterations, warmup, threads, python, blas, noPyTorch, report,
        };
        command.SetAction(parse =>
        {
            int t = parse.GetValue(threads), n = parse.GetValue(iterations), w = parse.GetValue(warmup);
            if (t < 1 || n < 1 || w < 1) return Fail("--threads, --iterations and --warmup must be at least 1");
            string blasChoice = parse.GetValue(blas)!;
            if (blasChoice is not ("openblas" or "system")) return Fail($"--pytorch-blas must be openblas or system, got '{blasChoice}'");
            LatentEbm.Training.Benchmarks.PyTorchSide? side = null;
            if (!parse.GetValue(noPyTorch))
            {
                string script = Path.Combine(AppContext.BaseDirectory, "scripts", "bench", "mnist_training.py");
                if (!File.Exists(script)) script = Path.Combine("scripts", "bench", "mnist_training.py");
                string? libraries = null;
                if (blasChoice == "openblas")
                {
                    libraries = Path.GetFullPath(OpenBlasFolder);
                    if (!File.Exists(Path.Combine(libraries, "libblas.so.3")))
                        return Fail($"no OpenBLAS for the PyTorch side in {OpenBlasFolder}: run scripts/bench/fetch-openblas.sh (it unpacks Debian's libopenblas0-openmp there, installing nothing), or pass --pytorch-blas system");
                }
                side = new LatentEbm.Training.Benchmarks.PyTorchSide(parse.GetValue(python)!, script, libraries);
            }
            TorchSharp.torch.set_num_threads(t);
            var config = new LatentEbm.Training.Configuration.TrainingConfig { HoldoutDigit = 4 };
            LatentEbm.Training.Runs.RunData data;
            try
            {
                data = LatentEbm.Training.Runs.RunData.Load(config, parse.GetValue(dataDir)!);
            }
            catch (Exception e) when (e is IOException)
            {
                return Fail(e.Message);
            }
            if ((n + w) * config.BatchSize > data.Train.Count) return Fail($"--iterations {n} and --warmup {w} need {(n + w) * config.BatchSize} images; the training split has {data.Train.Count}");
            string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
            IReadOnlyList<LatentEbm.Training.Benchmarks.TrainingTiming> timings;
            try
            {
                timings = TrainingBenchmark.Run(config, data.Train, n, w, t, side, way => AnsiConsole.MarkupLineInterpolated($"[grey]timing {way}[/]"));
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or LatentEbm.Training.Runtime.ConvolutionSelfCheckException)
            {
                return Fail(e.Message);
            }
            string loadAfter = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
            int perEpoch = data.Train.Count / config.BatchSize;
            var md = new StringBuilder()
                .AppendLine($"## Training iterations: default MNIST configuration (digit 4 held out, B={config.BatchSize}, K0={config.PriorSteps}, K1={config.PosteriorSteps} from noise or {config.EncoderPosteriorSteps} from the encoder, nz={config.Nz}, generator {config.Nz}-{string.Join("-", config.GeneratorHidden)}-784, prior {config.Nz}-{config.PriorHidden}-{config.PriorHidden}-1, encoder 784-{string.Join("-", config.EncoderHidden)}-{2 * config.Nz}), {t} thread(s)")
                .AppendLine()
                .AppendLine($"Command: `./latent-ebm bench training --iterations {n} --warmup {w} --threads {t}{(side is null ? " --no-pytorch" : blasChoice == "system" ? " --pytorch-blas system" : "")}`{(side is not null && blasChoice == "openblas" ? " after `scripts/bench/fetch-openblas.sh`" : "")}; {Environment.ProcessorCount}-core machine ({LatentEbm.Training.Runtime.CpuFeatures.Describe()}), {DateTime.UtcNow:yyyy-MM-dd}; 1-minute load average {load} at the start and {loadAfter} at the end. One run: every way trains {w} untimed iterations, then {n} timed ones in a fresh trainer on the same MNIST images; the PyTorch side is `scripts/bench/mnist_training.py` (the same networks, initialisation families, chains, Adam updates and order, float32, autograd per Langevin step). An epoch is {perEpoch} iterations.")
                .AppendLine()
                .AppendLine("| posterior start | implementation | s / iteration | s / epoch | prior chain | posterior chain | updates | time relative to PyTorch eager |")
                .AppendLine("|---|---|---|---|---|---|---|---|");
            var table = new Table().AddColumns("start", "implementation", "s / iteration", "s / epoch", "prior chain", "posterior chain", "updates", "vs PyTorch");
            foreach (var r in timings)
            {
                var reference = timings.FirstOrDefault(p => p.IsPyTorch && p.Start == r.Start);
                string[] cells = [r.Start, r.Implementation, r.SecondsPerIteration.ToString("F4", CultureInfo.InvariantCulture),
                    (r.SecondsPerIteration * perEpoch).ToString("F1", CultureInfo.InvariantCulture),
                    $"{r.PriorChainShare.ToString("P0", CultureInfo.InvariantCulture)}", $"{r.PosteriorChainShare.ToString("P0", CultureInfo.InvariantCulture)}", $"{r.UpdateShare.ToString("P0", CultureInfo.InvariantCulture)}",
                    reference is null ? "-" : (r.SecondsPerIteration / reference.SecondsPerIteration).ToString("F2", CultureInfo.InvariantCulture) + "x"];
                table.AddRow(cells.Select(Markup.Escape).ToArray());
                md.AppendLine($"| {string.Join(" | ", cells)} |");
            }
            md.AppendLine();
            foreach (var start in new[] { "noise", "encoder" })
            {
                var torchRow = timings.First(r => r.Start == start && !r.IsPyTorch && r.Implementation.Contains("engine torch (", StringComparison.Ordinal));
                var onnxRow = timings.First(r => r.Start == start && r.Implementation.Contains("engine onnx_runtime", StringComparison.Ordinal));
                var reference = timings.FirstOrDefault(p => p.IsPyTorch && p.Start == start);
                string line = $"{char.ToUpperInvariant(start[0])}{start[1..]} start: the onnx_runtime engine takes {onnxRow.SecondsPerIteration / torchRow.SecondsPerIteration:F2}x the torch engine's time per iteration (posterior chain {onnxRow.PosteriorChainShare * onnxRow.SecondsPerIteration / (torchRow.PosteriorChainShare * torchRow.SecondsPerIteration):F2}x, prior chain {onnxRow.PriorChainShare * onnxRow.SecondsPerIteration / (torchRow.PriorChainShare * torchRow.SecondsPerIteration):F2}x)"
                    + (reference is null ? "." : $"; against PyTorch eager, torch engine {torchRow.SecondsPerIteration / reference.SecondsPerIteration:F2}x, onnx_runtime engine {onnxRow.SecondsPerIteration / reference.SecondsPerIteration:F2}x.");
                md.AppendLine(line).AppendLine();
                AnsiConsole.WriteLine(line);
            }
            md.AppendLine($"Peak resident memory of the benchmark process: {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0):F0} MiB (the MNIST images, every trainer's networks and optimisers, libtorch, ONNX Runtime).");
            AnsiConsole.Write(table);
            if (parse.GetValue(report) is string path)
            {
                MarkdownSections.Replace(path, "training", md.ToString());
                AnsiConsole.MarkupLineInterpolated($"Written to {path}");
            }
            return 0;
        });
        return command;
    }

    private static Command ConvTrainingBench()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Datasets folder (CIFAR-10 training images)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var iterations = new Option<int>("--iterations") { Description = "Timed iterations per implementation", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed iterations first", DefaultValueFactory = _ => 2 };
        var threads = new Option<int>("--threads") { Description = "Threads of TorchSharp, PyTorch and ONNX Runtime", DefaultValueFactory = _ => 1 };
        var ngf = new Option<int>("--ngf") { Description = "Conv generator width", DefaultValueFactory = _ => 16 };
        var nz = new Option<int>("--nz") { Description = "Latent size", DefaultValueFactory = _ => 128 };
        var python = new Option<string>("--python") { Description = "Python with torch and numpy (Debian python3-torch)", DefaultValueFactory = _ => "/usr/bin/python3" };
        var blas = new Option<string>("--pytorch-blas") { Description = $"BLAS of the PyTorch side: openblas ({OpenBlasFolder}, from scripts/bench/fetch-openblas.sh) or system (netlib's reference BLAS on a bare Debian)", DefaultValueFactory = _ => "openblas" };
        var report = new Option<string?>("--report") { Description = "Also write the tables as a Markdown section of this file" };
        var command = new Command("conv", "Conv-generator training on CIFAR-10 (the make cifar10 configuration): seconds per iteration in LatentEbm (TorchSharp) and in PyTorch eager with the same networks, update rules, images and threads; one posterior chain in TorchSharp eager and ONNX Runtime.")
        {
            dataDir, iterations, warmup, threads, ngf, nz, python, blas, report,
        };
        command.SetAction(parse =>
        {
            int t = parse.GetValue(threads), n = parse.GetValue(iterations), w = parse.GetValue(warmup);
            if (t < 1 || n < 1 || w < 0) return Fail("--threads and --iterations must be at least 1, --warmup at least 0");
            string script = Path.Combine(AppContext.BaseDirectory, "scripts", "bench", "conv_training.py");
            if (!File.Exists(script)) script = Path.Combine("scripts", "bench", "conv_training.py");
            string blasChoice = parse.GetValue(blas)!;
            if (blasChoice is not ("openblas" or "system")) return Fail($"--pytorch-blas must be openblas or system, got '{blasChoice}'");
            string? libraries = blasChoice == "openblas" ? Path.GetFullPath(OpenBlasFolder) : null;
            if (libraries is not null && !File.Exists(Path.Combine(libraries, "libblas.so.3")))
                return Fail($"no OpenBLAS for the PyTorch side in {OpenBlasFolder}: run scripts/bench/fetch-openblas.sh (it unpacks Debian's libopenblas0-openmp there, installing nothing), or pass --pytorch-blas system");
            LatentEbm.Training.Benchmarks.ConvTrainingTimings timings;
            LatentEbm.Training.Configuration.TrainingConfig config;
            try
            {
                var images = new LatentEbm.Data.Sources.Cifar10Source(Path.Combine(parse.GetValue(dataDir)!, "cifar-10")).Load(LatentEbm.Data.Sources.DataSplit.Train);
                config = new LatentEbm.Training.Configuration.TrainingConfig
                {
                    Dataset = LatentEbm.Data.Sources.DatasetName.Cifar10, Generator = LatentEbm.Training.Configuration.GeneratorKind.Conv,
                    Ngf = parse.GetValue(ngf), Nz = parse.GetValue(nz), Observation = images.Observation,
                };
                timings = LatentEbm.Training.Benchmarks.ConvTrainingBenchmark.Run(config, images, n, w, t, parse.GetValue(python)!, script, libraries);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException or System.ComponentModel.Win32Exception or LatentEbm.Training.Runtime.ConvolutionSelfCheckException)
            {
                return Fail(e.Message);
            }
            double pytorch = timings.Training[^1].SecondsPerIteration;
            var md = new StringBuilder()
                .AppendLine($"## Conv-generator training: CIFAR-10, the make cifar10 configuration (B={config.BatchSize}, K0={config.PriorSteps}, K1={config.PosteriorSteps}, nz={config.Nz}, ngf={config.Ngf}, generator {config.Nz}→{8 * config.Ngf}→{4 * config.Ngf}→{2 * config.Ngf}→3 at 32x32, prior {config.Nz}-{config.PriorHidden}-{config.PriorHidden}-1), {t} thread(s)")
                .AppendLine()
                .AppendLine($"Command: `./latent-ebm bench conv --iterations {n} --warmup {w} --threads {t} --ngf {config.Ngf} --nz {config.Nz}{(blasChoice == "system" ? " --pytorch-blas system" : "")}`{(blasChoice == "openblas" ? " after `scripts/bench/fetch-openblas.sh`" : "")}; {Environment.ProcessorCount}-core machine, {DateTime.UtcNow:yyyy-MM-dd}; 1-minute load average {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?")} at the end. One run: {n} timed iterations per implementation after {w} untimed ones, on the same CIFAR-10 training images; the PyTorch side is `scripts/bench/conv_training.py` (same networks, initialisation scheme, chains and Adam updates).")
                .AppendLine()
                .AppendLine("| implementation | s / iteration | prior chain | posterior chain | updates | time relative to PyTorch eager |")
                .AppendLine("|---|---|---|---|---|---|");
            var table = new Table().AddColumns("implementation", "s / iteration", "prior chain", "posterior chain", "updates", "ratio");
            foreach (var r in timings.Training)
            {
                string[] cells = [r.Implementation, r.SecondsPerIteration.ToString("F3", CultureInfo.InvariantCulture), $"{r.PriorChainShare:P0}", $"{r.PosteriorChainShare:P0}", $"{r.UpdateShare:P0}",
                    (r.SecondsPerIteration / pytorch).ToString("F2", CultureInfo.InvariantCulture) + "x"];
                table.AddRow(cells.Select(Markup.Escape).ToArray());
                md.AppendLine($"| {string.Join(" | ", cells)} |");
            }
            md.AppendLine().AppendLine($"One posterior chain, K1 = {config.PosteriorSteps} steps of s1 = {config.PosteriorStepSize}, batch {config.BatchSize}, the benchmark's trained weights (after the onnx_runtime engine's timed iterations), same start and noise (median of 5), the exported graph with its weights as initializers:").AppendLine()
                .AppendLine("| implementation | median seconds | max relative difference of z_K from TorchSharp |").AppendLine("|---|---|---|");
            foreach (var c in timings.PosteriorChains)
                md.AppendLine($"| {c.Method} | {c.MedianSeconds.ToString("F3", CultureInfo.InvariantCulture)} | {c.MaxRelativeDifference.ToString("E1", CultureInfo.InvariantCulture)} |");
            AnsiConsole.Write(table);
            foreach (var c in timings.PosteriorChains) AnsiConsole.MarkupLineInterpolated($"posterior chain, {c.Method}: {c.MedianSeconds:F3} s");
            if (parse.GetValue(report) is string path)
            {
                MarkdownSections.Replace(path, "conv-training", md.ToString());
                AnsiConsole.MarkupLineInterpolated($"Written to {path}");
            }
            return 0;
        });
        return command;
    }

    private static Command MlNetBench()
    {
        var bundle = new Option<string>("--bundle") { Description = "Model bundle", DefaultValueFactory = _ => "models/mnist-digit4" };
        var dataDir = new Option<string>("--data-dir") { Description = "Datasets folder (the test images of the bundle's dataset)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var count = new Option<int>("--images") { Description = "Images scored in the timed pass", DefaultValueFactory = _ => 2000 };
        var report = new Option<string?>("--report") { Description = "Also write the result as a Markdown section of this file" };
        var command = new Command("mlnet", "Anomaly scoring throughput through the ML.NET estimator ScoreLatentEbmAnomaly (the evaluation job's path): images per second.")
        {
            bundle, dataDir, count, report,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(bundle)!;
            try
            {
                var (manifest, test) = BundleTestImages(path, parse.GetValue(dataDir)!);
                int n = Math.Min(parse.GetValue(count), test.Count);
                if (n < 1) return Fail("--images must be at least 1");
                var (perSecond, seconds) = LatentEbm.Pipelines.Benchmarks.MlNetScoringBenchmark.Run(path, test.Pixels, test.PixelsPerImage, n);
                string md = new StringBuilder()
                    .AppendLine($"## ML.NET anomaly scoring: {path}")
                    .AppendLine()
                    .AppendLine($"Command: `./latent-ebm bench mlnet --bundle {path} --images {n}`; {Environment.ProcessorCount}-core machine, {DateTime.UtcNow:yyyy-MM-dd}. `ScoreLatentEbmAnomaly` on ONNX Runtime (CPU, its default threads) over {n} test images of {manifest.Training.Dataset} ({string.Join("x", manifest.Model.ImageShape)}), a posterior chain of {PosteriorChain(manifest)} per image, after a 100-image warm-up: **{perSecond:F0} images/s** ({seconds:F1} s).")
                    .ToString();
                AnsiConsole.MarkupLineInterpolated($"{path}: {perSecond:F0} images/s through ML.NET ({n} images, {seconds:F1} s)");
                if (parse.GetValue(report) is string file)
                {
                    MarkdownSections.Replace(file, $"mlnet-{manifest.Training.Dataset}", md);
                    AnsiConsole.MarkupLineInterpolated($"Written to {file}");
                }
                return 0;
            }
            catch (Exception e) when (e is IOException or LatentEbm.Inference.Bundles.BundleException or ArgumentException or InvalidOperationException)
            {
                return Fail(e.Message);
            }
        });
        return command;
    }

    /// <summary>A bundle's manifest and the test split of the dataset it was trained on (MNIST for the default bundle, CIFAR-10 for models/cifar10-conv).</summary>
    /// <summary>The manifest of <paramref name="bundle"/> and the test split of its dataset.</summary>
    internal static (LatentEbm.Inference.Bundles.BundleManifest Manifest, LatentEbm.Data.Datasets.LabeledImages Test) BundleTestImages(string bundle, string dataDir)
    {
        var manifest = LatentEbm.Inference.Bundles.ModelBundle.ReadManifest(bundle);
        return (manifest, LatentEbm.Data.Sources.ImageSources.Open(manifest.Training.Dataset, dataDir).Load(LatentEbm.Data.Sources.DataSplit.Test));
    }

    private static Command InferenceBench()
    {
        var bundle = new Option<string>("--bundle") { Description = "Model bundle", DefaultValueFactory = _ => "models/mnist-digit4" };
        var dataDir = new Option<string>("--data-dir") { Description = "Datasets folder (the test images of the bundle's dataset)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var count = new Option<int>("--images") { Description = "Images per operation", DefaultValueFactory = _ => 4096 };
        var batch = new Option<int>("--batch") { Description = "Images per call", DefaultValueFactory = _ => 256 };
        var report = new Option<string?>("--report") { Description = "Also write the table as a Markdown section of this file" };
        var command = new Command("inference", "Throughput of the bundle on ONNX Runtime (CPU): posterior inference, anomaly scoring and prior sampling, images per second.")
        {
            bundle, dataDir, count, batch, report,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(count) < 1 || parse.GetValue(batch) < 1) return Fail("--images and --batch must be at least 1");
            LatentEbm.Data.Datasets.LabeledImages test;
            LatentEbm.Inference.Bundles.BundleManifest manifest;
            try
            {
                (manifest, test) = BundleTestImages(parse.GetValue(bundle)!, parse.GetValue(dataDir)!);
            }
            catch (Exception e) when (e is IOException or LatentEbm.Inference.Bundles.BundleException)
            {
                return Fail(e.Message);
            }
            int n = Math.Min(parse.GetValue(count), test.Count), b = parse.GetValue(batch);
            var results = LatentEbm.Inference.Benchmarks.InferenceBenchmark.Run(parse.GetValue(bundle)!, test.Pixels, n, b,
                new LatentEbm.Inference.Runtime.ExecutionOptions(LatentEbm.Inference.Runtime.ExecutionProvider.Cpu));
            var md = new StringBuilder()
                .AppendLine($"## Inference throughput: {parse.GetValue(bundle)}, ONNX Runtime CPU")
                .AppendLine()
                .AppendLine($"Command: `./latent-ebm bench inference --bundle {parse.GetValue(bundle)} --images {n} --batch {b}`; {Environment.ProcessorCount}-core machine, {DateTime.UtcNow:yyyy-MM-dd}. Posterior chain: {PosteriorChain(manifest)}; prior chain: {manifest.Files.First(f => f.Role == LatentEbm.Inference.Bundles.BundleRoles.PriorLangevin).Steps} steps; one Loop-node run per chain.")
                .AppendLine()
                .AppendLine("| operation | batch | images | seconds | images / s |")
                .AppendLine("|---|---|---|---|---|");
            var table = new Table().AddColumns("operation", "batch", "images", "seconds", "images / s");
            foreach (var r in results)
            {
                string[] cells = [r.Operation, r.Batch.ToString(CultureInfo.InvariantCulture), r.Items.ToString(CultureInfo.InvariantCulture), r.Seconds.ToString("F2", CultureInfo.InvariantCulture), r.PerSecond.ToString("F0", CultureInfo.InvariantCulture)];
                table.AddRow(cells);
                md.AppendLine($"| {string.Join(" | ", cells)} |");
            }
            md.AppendLine().AppendLine($"Peak resident memory of the process: {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0):F0} MiB.");
            AnsiConsole.Write(table);
            if (parse.GetValue(report) is string path)
            {
                // One section per bundle's dataset, so the CIFAR-10 bundle's numbers sit beside MNIST's.
                MarkdownSections.Replace(path, manifest.Training.Dataset == "mnist" ? "inference" : $"inference-{manifest.Training.Dataset}", md.ToString());
                AnsiConsole.MarkupLineInterpolated($"Written to {path}");
            }
            return 0;
        });
        return command;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }

    /// <summary>The posterior chain the library runs on the bundle by default, as "K steps" (from noise) or from the encoder's mean.</summary>
    private static string PosteriorChain(LatentEbm.Inference.Bundles.BundleManifest manifest) => manifest.Model.HasEncoder
        ? $"the encoder's mean mu(x), then {manifest.Score.EncoderSteps} steps"
        : $"{manifest.Files.First(f => f.Role == LatentEbm.Inference.Bundles.BundleRoles.PosteriorLangevin).Steps} steps";

    private static string Share(double part, double whole) => $"{part:F1} s ({100 * part / whole:F0}%)";

    private static Command ServeBench()
    {
        var models = new Option<string>("--models") { Description = "Folder of model bundles", DefaultValueFactory = _ => "models" };
        var model = new Option<string>("--model") { Description = "Model id to drive", DefaultValueFactory = _ => "mnist-digit4" };
        var dataDir = new Option<string>("--data-dir") { Description = "Datasets folder (test images of the model's dataset are sent)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var perClient = new Option<int>("--requests-per-client") { Description = "Requests each client sends per level", DefaultValueFactory = _ => 8 };
        var minRequests = new Option<int>("--min-requests") { Description = "Requests per level at least (few clients then send more each)", DefaultValueFactory = _ => 64 };
        var soakRequests = new Option<int>("--soak-requests") { Description = "Requests of the memory soak (0: no soak)", DefaultValueFactory = _ => 10_000 };
        var soakClients = new Option<int>("--soak-clients") { Description = "Clients of the memory soak", DefaultValueFactory = _ => 8 };
        var note = new Option<string?>("--note") { Description = "A sentence about the conditions of the run, written into the section (e.g. other jobs on the machine)" };
        var report = new Option<string?>("--report") { Description = "Also write the table as a Markdown section of this file" };
        var command = new Command("serve", "Start the service on loopback and drive it at 1, 8, 32 and 128 clients, with micro-batching off and on: requests per second, p50 and p99 latency; then a soak: the resident memory of a service process (a child process) before and after --soak-requests light requests.")
        {
            models, model, dataDir, perClient, minRequests, soakRequests, soakClients, note, report,
        };
        command.SetAction(async parse =>
        {
            LatentEbm.Inference.Bundles.BundleManifest manifest;
            LatentEbm.Data.Datasets.LabeledImages test;
            try
            {
                (manifest, test) = BundleTestImages(Path.Combine(parse.GetValue(models)!, parse.GetValue(model)!), parse.GetValue(dataDir)!);
            }
            catch (Exception e) when (e is IOException or LatentEbm.Inference.Bundles.BundleException)
            {
                return Fail(e.Message);
            }
            string dataset = manifest.Training.Dataset;
            float[][] images = [.. Enumerable.Range(0, 8).Select(i => test.Image(i).ToArray())];
            int[] levels = [1, 8, 32, 128];
            int soakN = parse.GetValue(soakRequests), soakC = parse.GetValue(soakClients);
            if (parse.GetValue(perClient) < 1 || soakN < 0 || soakC < 1) return Fail("--requests-per-client and --soak-clients must be at least 1, --soak-requests at least 0");
            string loadBefore = BenchHost.LoadAverage();
            var options = new LatentEbm.Server.Hosting.ServerOptions { ModelsFolder = parse.GetValue(models)! };
            var results = await LatentEbm.Server.Benchmarks.ServeBenchmark.Run(options, parse.GetValue(model)!, images, levels, parse.GetValue(perClient), parse.GetValue(minRequests));
            double peakInProcess = System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
            LatentEbm.Server.Benchmarks.SoakResult? soak = null;
            if (soakN > 0)
            {
                AnsiConsole.MarkupLineInterpolated($"[grey]soak: {soakN} requests from {soakC} clients to a service child process[/]");
                try
                {
                    soak = await LatentEbm.Server.Benchmarks.ServeBenchmark.Soak(BenchHost.ServeCommand(), parse.GetValue(models)!, parse.GetValue(model)!, images[0], soakN, soakC, warmup: 200);
                }
                catch (InvalidOperationException e)
                {
                    return Fail(e.Message);
                }
            }
            string I(double v, string f = "F1") => v.ToString(f, CultureInfo.InvariantCulture);
            string commandLine = $"./latent-ebm bench serve --requests-per-client {parse.GetValue(perClient)} --min-requests {parse.GetValue(minRequests)} --soak-requests {soakN} --soak-clients {soakC}" +
                (parse.GetValue(report) is string r ? $" --report {r}" : "");
            var table = new Table().AddColumns("endpoint", "micro-batching", "clients", "requests", "req/s", "p50 ms", "p99 ms");
            var md = new StringBuilder()
                .AppendLine($"## HTTP service: {parse.GetValue(model)}, samples (16 decoded) and scores (8 {dataset} test images)")
                .AppendLine()
                .AppendLine($"Command: `{commandLine}`{(parse.GetValue(note) is null ? "" : " with `--note` (the sentence that ends this paragraph)")}; {BenchHost.Cpu()}, CPU provider, loopback, {DateTime.UtcNow:yyyy-MM-dd}; batching waits {I(options.BatchWaitMilliseconds, "F0")} ms when on; " +
                    $"the service runs in the benchmark process (closed-loop clients: each sends its next request when the last is answered), queue limit raised so that no request is refused; " +
                    $"each level sends {parse.GetValue(perClient)} requests per client and at least {parse.GetValue(minRequests)} in all; 1-minute load average {loadBefore} at the start, {BenchHost.LoadAverage()} at the end." +
                    (parse.GetValue(note) is string text ? " " + text : ""))
                .AppendLine()
                .AppendLine("| endpoint | micro-batching | clients | requests | req/s | p50 ms | p99 ms |")
                .AppendLine("|---|---|---|---|---|---|---|");
            foreach (var res in results)
            {
                string[] cells = [res.Endpoint, res.Batching ? "on" : "off", res.Concurrency.ToString(CultureInfo.InvariantCulture), res.Requests.ToString(CultureInfo.InvariantCulture),
                    I(res.RequestsPerSecond), I(res.P50Ms), I(res.P99Ms)];
                table.AddRow(cells);
                md.AppendLine($"| {string.Join(" | ", cells)} |");
            }
            foreach (var endpoint in new[] { "samples", "scores" })
                foreach (int level in levels.Where(l => l >= 32))
                {
                    double off = results.Single(x => x.Endpoint == endpoint && !x.Batching && x.Concurrency == level).RequestsPerSecond;
                    double on = results.Single(x => x.Endpoint == endpoint && x.Batching && x.Concurrency == level).RequestsPerSecond;
                    md.AppendLine().Append($"Micro-batching at {level} clients, {endpoint}: {on / off:F2}x the throughput without it.");
                }
            md.AppendLine().AppendLine().Append($"Peak resident memory of the benchmark process (service, its sessions and the load-generating clients): {peakInProcess:F0} MiB.");
            if (soak is { } s)
                md.AppendLine().AppendLine().Append(
                    $"**Soak** (resident memory of the service process alone: a child process `latent-ebm serve --models {parse.GetValue(models)}` with its default options, read from `/proc/PID/status`): " +
                    $"{s.Requests:N0} requests from {s.Clients} clients, alternating one decoded prior sample and the score of one image, in {I(s.Seconds)} s ({I(s.Requests / s.Seconds, "F0")} req/s), {s.Failed} failed. " +
                    $"VmRSS {I(s.ReadyMiB, "F0")} MiB when ready, **{I(s.WarmMiB, "F0")} MiB after {s.Warmup} warm-up requests, {I(s.AfterMiB, "F0")} MiB after the {s.Requests:N0}: {(s.AfterMiB - s.WarmMiB >= 0 ? "+" : "")}{I(s.AfterMiB - s.WarmMiB)} MiB** " +
                    $"({I((s.AfterMiB - s.WarmMiB) * 1.048576)} MB: {(Math.Abs(s.AfterMiB - s.WarmMiB) * 1.048576 <= 50 ? "within" : "**outside**")} the 50 MB target); peak (VmHWM) {I(s.PeakMiB, "F0")} MiB.");
            AnsiConsole.Write(table);
            AnsiConsole.WriteLine(md.ToString());
            if (parse.GetValue(report) is string path)
            {
                MarkdownSections.Replace(path, dataset == "mnist" ? "serve" : $"serve-{dataset}", md.ToString());
                AnsiConsole.MarkupLineInterpolated($"Written to {path}");
            }
            return soak is { Failed: > 0 } ? 1 : 0;
        });
        return command;
    }

    private static Command LatentsBench()
    {
        var models = new Option<string>("--models") { Description = "Folder of model bundles", DefaultValueFactory = _ => "models" };
        var model = new Option<string>("--model") { Description = "A bundle with an encoder (its folder name)", Required = true };
        var dataDir = new Option<string>("--data-dir") { Description = "Datasets folder (the bundle's test images are sent)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var batch = new Option<int>("--batch") { Description = "Images per request", DefaultValueFactory = _ => 256 };
        var repetitions = new Option<int>("--repetitions") { Description = "Timed requests per start", DefaultValueFactory = _ => 10 };
        var report = new Option<string?>("--report") { Description = "Also write the table as a Markdown section of this file" };
        var command = new Command("latents", "The service's /latents for one batch of images: chains started at the encoder's mean against chains from noise of the bundle's noise-started length; median latency and the speed-up.")
        {
            models, model, dataDir, batch, repetitions, report,
        };
        command.SetAction(async parse =>
        {
            string folder = Path.Combine(parse.GetValue(models)!, parse.GetValue(model)!);
            var (manifest, test) = BundleTestImages(folder, parse.GetValue(dataDir)!);
            if (!manifest.Model.HasEncoder) return Fail($"{folder} has no encoder: export a run trained with --posterior-start encoder");
            int n = parse.GetValue(batch);
            if (n < 1 || n > test.Count) return Fail($"--batch must be 1..{test.Count}");
            float[][] images = [.. Enumerable.Range(0, n).Select(i => test.Image(i).ToArray())];
            var options = new LatentEbm.Server.Hosting.ServerOptions { ModelsFolder = parse.GetValue(models)!, MaxImages = Math.Max(256, n) };
            var results = await LatentEbm.Server.Benchmarks.ServeBenchmark.Latents(options, parse.GetValue(model)!, images, parse.GetValue(repetitions));
            int noiseSteps = manifest.Files.First(f => f.Role == LatentEbm.Inference.Bundles.BundleRoles.PosteriorLangevin).Steps ?? 0;
            static double Median(double[] v) => v.Length % 2 == 1 ? v[v.Length / 2] : 0.5 * (v[v.Length / 2 - 1] + v[v.Length / 2]);
            double encoder = Median(results["encoder"]), noise = Median(results["noise"]);
            string I(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
            var md = new StringBuilder()
                .AppendLine($"## HTTP service: /latents for {n} images, {parse.GetValue(model)}: encoder start against noise start")
                .AppendLine()
                .AppendLine($"Command: `./latent-ebm bench latents --models {parse.GetValue(models)} --model {parse.GetValue(model)} --batch {n} --repetitions {parse.GetValue(repetitions)}`; {Environment.ProcessorCount}-core machine, CPU provider, loopback, JSON bodies, one request at a time (starts alternating), {DateTime.UtcNow:yyyy-MM-dd}; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end.")
                .AppendLine()
                .AppendLine("| chain | steps | median ms | min ms | max ms |")
                .AppendLine("|---|---|---|---|---|")
                .AppendLine($"| from the encoder's mean (`?start=encoder`) | {manifest.Score.EncoderSteps} | {I(encoder)} | {I(results["encoder"][0])} | {I(results["encoder"][^1])} |")
                .AppendLine($"| from noise (`?start=noise`) | {noiseSteps} | {I(noise)} | {I(results["noise"][0])} | {I(results["noise"][^1])} |")
                .AppendLine()
                .Append($"Latents from the encoder come back {noise / encoder:F1} times faster (medians, one run).");
            AnsiConsole.WriteLine(md.ToString());
            if (parse.GetValue(report) is string path)
            {
                MarkdownSections.Replace(path, "latents", md.ToString());
                AnsiConsole.MarkupLineInterpolated($"Written to {path}");
            }
            return 0;
        });
        return command;
    }

    private static Command ProvidersBench()
    {
        var bundle = new Option<string>("--bundle") { Description = "Model bundle", DefaultValueFactory = _ => "models/mnist-digit4" };
        var deviceId = new Option<int>("--device-id") { Description = "CUDA device", DefaultValueFactory = _ => 0 };
        var dataDir = new Option<string>("--data-dir") { Description = "Datasets folder (MNIST test images are scored)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var report = new Option<string?>("--report") { Description = "Also write the table as a Markdown section of this file" };
        var command = new Command("providers", "GPU check: the bundle on CPU and CUDA (TF32 off), same seeds: max relative difference and median time per call.")
        {
            bundle, deviceId, dataDir, report,
        };
        command.SetAction(parse =>
        {
            try
            {
                var test = LatentEbm.Data.Datasets.ImageDatasets.LoadSplit(LatentEbm.Data.Datasets.ImageDatasets.Locate("mnist", parse.GetValue(dataDir)!), train: false);
                var results = LatentEbm.Inference.Runtime.ProviderParity.Run(parse.GetValue(bundle)!, test.Pixels, test.Count, parse.GetValue(deviceId));
                var md = new StringBuilder()
                    .AppendLine($"## CUDA against CPU: {parse.GetValue(bundle)}, TF32 off")
                    .AppendLine()
                    .AppendLine($"Command: `./latent-ebm bench providers --bundle {parse.GetValue(bundle)}`; {DateTime.UtcNow:yyyy-MM-dd}.")
                    .AppendLine()
                    .AppendLine("| operation | rows | CPU ms | CUDA ms | max rel. diff |")
                    .AppendLine("|---|---|---|---|---|");
                var table = new Table().AddColumns("operation", "rows", "CPU ms", "CUDA ms", "max rel. diff");
                foreach (var r in results)
                {
                    string[] cells = [r.Operation, r.Rows.ToString(), r.CpuMs.ToString("F2", CultureInfo.InvariantCulture), r.CudaMs.ToString("F2", CultureInfo.InvariantCulture), r.MaxRelativeDifference.ToString("E2", CultureInfo.InvariantCulture)];
                    table.AddRow(cells);
                    md.AppendLine($"| {string.Join(" | ", cells)} |");
                }
                AnsiConsole.Write(table);
                if (parse.GetValue(report) is string path) MarkdownSections.Replace(path, "providers", md.ToString());
                return 0;
            }
            catch (LatentEbm.Inference.Runtime.ExecutionProviderException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
