using System.CommandLine;
using LatentEbm.Training.Runtime;
using LatentEbm.Inference.Scoring;
using System.Diagnostics;
using LatentEbm.Data.Idx;
using LatentEbm.Data.Sources;
using LatentEbm.Pipelines.Evaluation;
using LatentEbm.Training.Checkpoints;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Evaluation;
using LatentEbm.Training.Runs;
using LatentEbm.Training.Training;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary><c>latent-ebm train</c>: trains a model into a run folder and, with a held-out digit, evaluates anomaly detection.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var defaults = new TrainingConfig();
        var dataset = SettingOption.Create("--dataset", "The data source: mnist, fashion-mnist, cifar-10 (make data unpacks it), svhn (train_32x32.mat, test_32x32.mat in the data folder's svhn/) or image-folder (--data-path: one subfolder per class)", defaults.Dataset);
        var dataPath = new Option<string?>("--data-path") { Description = "Folder of the dataset's files, overriding the data folder (required for image-folder)" };
        var imageSize = new Option<int>("--image-size") { Description = "image-folder only: images are resized and centre-cropped to this size (64: CelebA-64)", DefaultValueFactory = _ => defaults.ImageSize };
        var holdout = new Option<int?>("--holdout-digit") { Description = "Digit held out as the anomaly class (PAPER.md protocol, MNIST family); omit to train on the whole train split" };
        var holdoutClass = new Option<string?>("--holdout-class") { Description = "Class held out as the anomaly class, by name (e.g. cat) or index, for any labelled source" };
        var generator = SettingOption.Create("--generator", "mlp (nz-h1-h2-C·H·W) or conv (the paper's ConvTranspose stack, --ngf)", defaults.Generator);
        var ngf = new Option<int>("--ngf") { Description = "Base width of the conv generator (the paper's SVHN net: 64)", DefaultValueFactory = _ => defaults.Ngf };
        var epochs = new Option<int?>("--epochs") { Description = $"Training epochs (default {defaults.Epochs}; with --resume, the new total)" };
        var output = new Option<string>("--out") { Description = "Run folder", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its newest checkpoint" };
        var dataRoot = new Option<string>("--data-dir") { Description = "Folder holding datasets (make data puts MNIST in .cache/data/mnist)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var seed = new Option<int>("--seed") { Description = "Seed of initialisation, batches and chain noise", DefaultValueFactory = _ => defaults.Seed };
        var nz = new Option<int>("--nz") { Description = "Latent dimension", DefaultValueFactory = _ => defaults.Nz };
        var priorActivation = SettingOption.Create("--prior-activation", "leaky_relu or gelu", defaults.PriorActivation);
        var batch = new Option<int>("--batch-size") { Description = "Minibatch size", DefaultValueFactory = _ => defaults.BatchSize };
        var k0 = new Option<int>("--prior-steps") { Description = "Prior chain K0", DefaultValueFactory = _ => defaults.PriorSteps };
        var s0 = new Option<double>("--prior-step-size") { Description = "Prior chain s0", DefaultValueFactory = _ => defaults.PriorStepSize };
        var k1 = new Option<int>("--posterior-steps") { Description = "Posterior chain K1", DefaultValueFactory = _ => defaults.PosteriorSteps };
        var s1 = new Option<double>("--posterior-step-size") { Description = "Posterior chain s1", DefaultValueFactory = _ => defaults.PosteriorStepSize };
        var sigma = new Option<double>("--sigma") { Description = "Generator noise sigma", DefaultValueFactory = _ => defaults.Sigma };
        var priorLr = new Option<double>("--prior-lr") { Description = "Prior Adam learning rate", DefaultValueFactory = _ => defaults.PriorLearningRate };
        var generatorLr = new Option<double>("--generator-lr") { Description = "Generator Adam learning rate", DefaultValueFactory = _ => defaults.GeneratorLearningRate };
        var device = new Option<string>("--device") { Description = "Torch device (cpu; cuda where a CUDA libtorch is installed)", DefaultValueFactory = _ => defaults.Device };
        var scoreSteps = new Option<int>("--score-steps") { Description = "Test-time posterior chain length", DefaultValueFactory = _ => defaults.Score.Steps };
        var scoreNoise = new Option<bool>("--score-noise") { Description = "Add Langevin noise in the test-time chain" };
        var scoreWeights = SettingOption.Create("--score-weights", "log_joint (PAPER.md), later_work, or standardized (calibrated on the validation split; needs --validation-fraction)", defaults.Score.Weights);
        var prior = SettingOption.Create("--prior", "ebm (the paper's learned prior) or gaussian (f = 0: the baseline with the same generator and posterior chain)", defaults.Prior);
        var chainPrecision = SettingOption.Create("--chain-precision", "float32, or bfloat16 for the MLP generator's matrix products in the posterior chain (faster on CPUs with AVX512-BF16)", defaults.ChainPrecision);
        var chainEngine = SettingOption.Create("--chain-engine", "What runs the training chains: onnx_runtime (one ONNX Runtime graph per chain over the live parameters; CPU, float32 chains; the default there) or torch (TorchSharp eager, autograd per step; the default with another device or bfloat16 chains); see docs/benchmarks.md", defaults.ChainEngine);
        var posteriorStart = SettingOption.Create("--posterior-start", "noise (the paper: posterior chains from N(0, sigma0² I), --posterior-steps) or encoder (amortised: an encoder q(z|x) trained alongside starts them, --encoder-steps)", defaults.PosteriorStart);
        var encoderSteps = new Option<int>("--encoder-steps") { Description = "Posterior chain K1 when it starts from the encoder", DefaultValueFactory = _ => defaults.EncoderPosteriorSteps };
        var scoreEncoderSteps = new Option<int>("--score-encoder-steps") { Description = "Test-time posterior chain length from the encoder's mean (runs with --posterior-start encoder)", DefaultValueFactory = _ => defaults.Score.EncoderSteps };
        var validationFraction = new Option<double>("--validation-fraction") { Description = "Share of the normal training images held out (never trained on) to calibrate the standardized score; 0 trains on all of them, as the paper", DefaultValueFactory = _ => defaults.ValidationFraction };

        var command = new Command("train", "Train the prior and generator by short-run Langevin maximum likelihood; with --holdout-digit or --holdout-class, evaluate anomaly detection (report.json, scores.csv).")
        {
            dataset, dataPath, imageSize, holdout, holdoutClass, epochs, output, resume, dataRoot, threads, seed, nz, priorActivation, generator, ngf,
            batch, k0, s0, k1, s1, sigma, priorLr, generatorLr, device, scoreSteps, scoreNoise, scoreWeights, prior, chainPrecision, validationFraction,
            posteriorStart, encoderSteps, scoreEncoderSteps, chainEngine,
        };
        Option[] fixedByRun = [dataset, dataPath, imageSize, holdout, holdoutClass, seed, nz, priorActivation, generator, ngf, batch, k0, s0, k1, s1, sigma, priorLr, generatorLr, device, scoreSteps, scoreNoise, scoreWeights, prior, chainPrecision, validationFraction, posteriorStart, encoderSteps, scoreEncoderSteps, chainEngine];
        command.SetAction((parse, cancellation) =>
        {
            if (parse.GetValue(resume))
            {
                var ignored = fixedByRun.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
                if (ignored.Count > 0)
                    Console.Error.WriteLine($"warning: with --resume the run's config.json decides; ignored: {string.Join(", ", ignored)}");
            }
            var config = defaults with
            {
                Dataset = parse.GetSetting<DatasetName>(dataset),
                DataPath = parse.GetValue(dataPath) is string path ? Path.GetFullPath(path) : null,
                ImageSize = parse.GetValue(imageSize),
                HoldoutDigit = parse.GetValue(holdout),
                HoldoutClass = parse.GetValue(holdoutClass),
                Generator = parse.GetSetting<GeneratorKind>(generator),
                Ngf = parse.GetValue(ngf),
                Epochs = parse.GetValue(epochs) ?? defaults.Epochs,
                Seed = parse.GetValue(seed),
                Nz = parse.GetValue(nz),
                PriorActivation = parse.GetSetting<PriorActivation>(priorActivation),
                BatchSize = parse.GetValue(batch),
                PriorSteps = parse.GetValue(k0),
                PriorStepSize = parse.GetValue(s0),
                PosteriorSteps = parse.GetValue(k1),
                PosteriorStepSize = parse.GetValue(s1),
                Sigma = parse.GetValue(sigma),
                PriorLearningRate = parse.GetValue(priorLr),
                GeneratorLearningRate = parse.GetValue(generatorLr),
                Device = parse.GetValue(device)!,
                Prior = parse.GetSetting<PriorKind>(prior),
                ChainPrecision = parse.GetSetting<ChainPrecision>(chainPrecision),
                ChainEngine = EngineFor(parse, chainEngine, parse.GetValue(device)!, parse.GetSetting<ChainPrecision>(chainPrecision)),
                ValidationFraction = parse.GetValue(validationFraction),
                PosteriorStart = parse.GetSetting<PosteriorStart>(posteriorStart),
                EncoderPosteriorSteps = parse.GetValue(encoderSteps),
                Score = defaults.Score with
                {
                    Steps = parse.GetValue(scoreSteps),
                    EncoderSteps = parse.GetValue(scoreEncoderSteps),
                    Noise = parse.GetValue(scoreNoise),
                    Weights = parse.GetSetting<ScoreWeighting>(scoreWeights),
                },
            };
            if (parse.GetResult(imageSize) is { Implicit: false } && config.Dataset != DatasetName.ImageFolder)
                Console.Error.WriteLine($"warning: --image-size applies to image-folder only; {SettingNames.Of(config.Dataset)} images keep their own size");
            // On a worker thread, so that Ctrl-C (SIGINT/SIGTERM) reaches the cancellation token while training runs.
            return Task.Run(() => Run(config, parse.GetValue(output)!, parse.GetValue(resume), parse.GetValue(epochs),
                parse.GetValue(dataRoot)!, parse.GetValue(threads), cancellation), CancellationToken.None);
        });
        return command;
    }

    /// <summary>
    /// The chain engine: as given; by default onnx_runtime (measured the faster, docs/benchmarks.md) where it applies (a CPU
    /// device, float32 chains) and torch elsewhere, so that --device cuda or --chain-precision bfloat16 alone still train.
    /// </summary>
    private static ChainEngine EngineFor(ParseResult parse, Option<string> chainEngine, string device, ChainPrecision precision)
    {
        var engine = parse.GetSetting<ChainEngine>(chainEngine);
        bool given = parse.GetResult(chainEngine) is { Implicit: false };
        bool applies = device.StartsWith("cpu", StringComparison.Ordinal) && precision == ChainPrecision.Float32;
        return given || applies ? engine : ChainEngine.Torch;
    }

    private static int Run(TrainingConfig requested, string folder, bool resume, int? epochs, string dataRoot, int threads, CancellationToken cancellation)
    {
        try
        {
            if (threads < 1) throw new ArgumentException($"--threads must be at least 1, got {threads}");
            TorchSharp.torch.set_num_threads(threads);
            var config = resume ? TrainingRun.ReadConfig(folder) : requested;
            config.Validate();
            if (!resume) EnsureWritableFolder(folder);
            string heldOut = config.HoldoutDigit is int d ? $", digit {d} held out" : config.HoldoutClass is string c ? $", class {c} held out" : "";
            AnsiConsole.MarkupLineInterpolated($"[bold]Loading[/] {SettingNames.Of(config.Dataset)}{heldOut} from {config.DataPath ?? dataRoot}");
            var source = ImageSources.Open(config.Dataset, dataRoot, config.DataPath, config.ImageSize);
            var data = RunData.Load(config, source);
            // The observation spec comes from the data; a resumed run's must match the images it was trained on.
            if (!resume) config = config with { Observation = data.Train.Observation };
            if (config.Score.Weights == ScoreWeighting.Standardized && config.HoldsOut && (data.Validation?.Count ?? 0) < 2)
                throw new ArgumentException($"--validation-fraction {config.ValidationFraction} leaves {data.Validation?.Count ?? 0} validation images; the standardized score needs at least 2");
            if (!config.HoldsOut && config.ValidationFraction > 0)
                Console.Error.WriteLine("warning: --validation-fraction applies only with --holdout-digit or --holdout-class; ignored");
            using var run = resume ? TrainingRun.Resume(folder, data.Train, epochs) : TrainingRun.Start(folder, config, data.Train);
            AnsiConsole.MarkupLineInterpolated($"{data.Train.Count} training images, {run.Trainer.IterationsPerEpoch} iterations per epoch, {run.Config.Epochs} epochs; {(run.History.Count > 0 ? $"resuming after epoch {run.History.Count}" : "starting")} in {folder}");
            Progress.Train(run, cancellation);
            if (data.Test is null)
            {
                AnsiConsole.MarkupLineInterpolated($"Done. Run folder: {folder} (config.json, metrics.csv, prior_samples.png, reconstructions.png, checkpoints/)");
                return 0;
            }

            ScoreCalibration? calibration = null;
            if (data.Validation is not null)
            {
                // Calibrated on normal images held out of training; the test split chooses nothing.
                calibration = Progress.Calibrate(run, data.Validation, cancellation);
            }
            var watch = Stopwatch.StartNew();
            var terms = Progress.Score(run, data.Test, "test", cancellation);
            var weights = run.Config.Score.ResolveWeights(run.Config.Sigma, run.Config.Sigma0, calibration);
            double[] scores = terms.Combine(weights);
            // Every weighting on the same chains, for the ablation tables; the run's own setting decides the headline.
            var byWeights = AnomalyScoreConfig.WeightNames
                .Where(n => n != "standardized" || calibration is not null)
                .ToDictionary(n => n, n => AnomalyRankingMetrics.Compute(data.TestAnomalyLabels!,
                    terms.Combine(AnomalyScoreConfig.ResolveWeights(n, run.Config.Sigma, run.Config.Sigma0, calibration))).PrAuc);
            var report = AnomalyReport.Evaluate(run.Config.HoldoutIndex(data.Train.ClassNames)!.Value, data.TestAnomalyLabels!, scores, run.TrainSeconds, watch.Elapsed.TotalSeconds,
                new()
                {
                    ["weights"] = SettingNames.Of(run.Config.Score.Weights),
                    ["weighting_provenance"] = ScoreWeightings.Provenance(SettingNames.Of(run.Config.Score.Weights)),
                    ["reconstruction_weight"] = weights.Reconstruction,
                    ["energy_weight"] = weights.Energy,
                    ["latent_norm_weight"] = weights.LatentNorm,
                    ["test_chain_start"] = SettingNames.Of(run.Config.PosteriorStart),
                    ["test_chain_steps"] = run.Config.Amortised ? run.Config.Score.EncoderSteps : run.Config.Score.Steps,
                    ["test_chain_step_size"] = run.Config.Score.StepSize,
                    ["test_chain_noise"] = run.Config.Score.Noise,
                    ["validation_images"] = calibration?.ValidationImages ?? 0,
                    ["torch_threads"] = threads,
                    ["peak_working_set_mib"] = Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0)),
                    ["pr_auc_by_weights"] = byWeights,
                },
                new()
                {
                    ["squared_error"] = terms.SquaredError,
                    ["energy"] = [.. terms.NegativeEnergy.Select(f => -f)],
                    ["latent_norm"] = terms.LatentNormSquared,
                });
            if (run.Config.HoldoutClass is not null) report = report with { HoldoutClass = data.Train.ClassNames[report.HoldoutDigit] };
            report.Write(folder, data.TestAnomalyLabels!, scores);
            Progress.ShowReport(report, folder);
            return 0;
        }
        catch (OperationCanceledException)
        {
            bool anyCheckpoint = Directory.Exists(Path.Combine(folder, "checkpoints")) && Directory.EnumerateDirectories(Path.Combine(folder, "checkpoints"), "epoch-*").Any();
            Console.Error.WriteLine(anyCheckpoint
                ? "cancelled: the newest checkpoint is intact; continue with --resume"
                : $"cancelled before the first epoch ended: no checkpoint yet, nothing to resume; remove {folder} to start over");
            return 130;
        }
        // DataFormatException (IdxFormatException among them), CheckpointException, RunFolderException and RunConfigMismatchException are IOExceptions.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TrainingDivergedException or InvalidScoresException or ArgumentException or ConvolutionSelfCheckException)
        {
            // Plain stderr: the message names files and must not be wrapped or styled.
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Fails before any data is loaded when --out cannot hold a run folder.</summary>
    private static void EnsureWritableFolder(string folder)
    {
        if (File.Exists(folder)) throw new RunFolderException(folder, "is a file; --out must name a folder");
        try
        {
            Directory.CreateDirectory(folder);
            string probe = Path.Combine(folder, $".write-test-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunFolderException(folder, $"cannot be written ({e.Message})", e);
        }
    }
}
