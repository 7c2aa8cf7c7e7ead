using System.CommandLine;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Runs;
using LatentEbm.Training.Text;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary><c>latent-ebm text</c>: the text model (PAPER.md, "Text model"): train, evaluate and export it.</summary>
internal static class TextCommand
{
    public static Command Create()
    {
        var command = new Command("text", "The text model: a latent EBM prior over an LSTM sentence decoder (PAPER.md, \"Text model\"), on Penn Treebank by default.");
        command.Subcommands.Add(CreateTrain());
        command.Subcommands.Add(TextEvaluateCommand.Create());
        command.Subcommands.Add(TextExportCommand.Create());
        command.Subcommands.Add(TextAnomalyCommand.Create());
        return command;
    }

    private static Command CreateTrain()
    {
        var defaults = new TextRunConfig();
        var m = defaults.Model;
        var output = new Option<string>("--out") { Description = "Run folder", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its newest checkpoint" };
        var dataRoot = new Option<string>("--data-dir") { Description = "Folder holding datasets (make data copies Penn Treebank into .cache/data/text)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var train = new Option<string?>("--train") { Description = "Training corpus, one sentence per line (default: the data folder's text/ptb.train.head.txt, the first 6,778 PTB training sentences)" };
        var validation = new Option<string?>("--validation") { Description = "Validation corpus (default: text/ptb.valid.txt)" };
        var epochs = new Option<int?>("--epochs") { Description = $"Training epochs (default {defaults.Epochs}; with --resume, the new total)" };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads", DefaultValueFactory = _ => defaults.Threads };
        var seed = new Option<int>("--seed") { Description = "Seed of initialisation, batches and chain noise", DefaultValueFactory = _ => m.Seed };
        var prior = SettingOption.Create("--prior", "ebm (the learned prior) or gaussian (f = 0: the baseline with the same decoder and chains)", PriorKind.Ebm);
        var nz = new Option<int>("--nz") { Description = "Latent size", DefaultValueFactory = _ => m.Nz };
        var embedding = new Option<int>("--embedding-size") { Description = "Word embedding size E", DefaultValueFactory = _ => m.EmbeddingSize };
        var hidden = new Option<int>("--hidden-size") { Description = "LSTM units H", DefaultValueFactory = _ => m.HiddenSize };
        var dropout = new Option<double>("--dropout") { Description = "Decoder dropout in [0, 1)", DefaultValueFactory = _ => m.Dropout };
        var batch = new Option<int>("--batch-size") { Description = "Sentences per minibatch", DefaultValueFactory = _ => m.BatchSize };
        var k0 = new Option<int>("--prior-steps") { Description = "Prior chain K0", DefaultValueFactory = _ => m.PriorSteps };
        var s0 = new Option<double>("--prior-step-size") { Description = "Prior chain s0", DefaultValueFactory = _ => m.PriorStepSize };
        var k1 = new Option<int>("--posterior-steps") { Description = "Posterior chain K1", DefaultValueFactory = _ => m.PosteriorSteps };
        var s1Start = new Option<double>("--posterior-step-start") { Description = "The posterior chain's first step size", DefaultValueFactory = _ => m.PosteriorStepSizeStart };
        var s1End = new Option<double>("--posterior-step-end") { Description = "The posterior chain's last step size (linear in between)", DefaultValueFactory = _ => m.PosteriorStepSizeEnd };
        var decoderLr = new Option<double>("--decoder-lr") { Description = "Decoder Adam learning rate", DefaultValueFactory = _ => m.DecoderLearningRate };
        var priorLr = new Option<double>("--prior-lr") { Description = "Prior Adam learning rate", DefaultValueFactory = _ => m.PriorLearningRate };
        var chainEngine = SettingOption.Create("--chain-engine", "What runs the posterior chain: onnx_runtime (one ONNX Runtime graph over the live parameters; the default) or torch (TorchSharp eager, autograd per step)", defaults.ChainEngine);
        var maxWords = new Option<int>("--max-words") { Description = "Most words per sentence; longer ones are counted and skipped", DefaultValueFactory = _ => defaults.MaxWords };

        var command = new Command("train", "Train the text latent EBM by short-run Langevin maximum likelihood into a run folder (config.json, vocabulary.txt, corpus.json, metrics.csv, samples.txt, checkpoints/).")
        {
            output, resume, dataRoot, train, validation, epochs, threads, seed, prior, nz, embedding, hidden, dropout, batch, k0, s0, k1, s1Start, s1End, decoderLr, priorLr, maxWords, chainEngine,
        };
        Option[] fixedByRun = [train, validation, seed, prior, nz, embedding, hidden, dropout, batch, k0, s0, k1, s1Start, s1End, decoderLr, priorLr, maxWords, threads, chainEngine];
        command.SetAction((parse, cancellation) =>
        {
            string folder = parse.GetValue(output)!;
            bool resuming = parse.GetValue(resume);
            if (resuming)
            {
                var ignored = fixedByRun.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
                if (ignored.Count > 0) Console.Error.WriteLine($"warning: with --resume the run's config.json decides; ignored: {string.Join(", ", ignored)}");
            }
            string data = Path.Combine(parse.GetValue(dataRoot)!, "text");
            var config = defaults with
            {
                Model = m with
                {
                    Seed = parse.GetValue(seed), GaussianPrior = parse.GetSetting<PriorKind>(prior) == PriorKind.Gaussian,
                    Nz = parse.GetValue(nz), EmbeddingSize = parse.GetValue(embedding), HiddenSize = parse.GetValue(hidden), Dropout = parse.GetValue(dropout),
                    BatchSize = parse.GetValue(batch), PriorSteps = parse.GetValue(k0), PriorStepSize = parse.GetValue(s0), PosteriorSteps = parse.GetValue(k1),
                    PosteriorStepSizeStart = parse.GetValue(s1Start), PosteriorStepSizeEnd = parse.GetValue(s1End),
                    DecoderLearningRate = parse.GetValue(decoderLr), PriorLearningRate = parse.GetValue(priorLr),
                },
                Epochs = parse.GetValue(epochs) ?? defaults.Epochs,
                TrainPath = Path.GetFullPath(parse.GetValue(train) ?? Path.Combine(data, "ptb.train.head.txt")),
                ValidationPath = Path.GetFullPath(parse.GetValue(validation) ?? Path.Combine(data, "ptb.valid.txt")),
                Threads = parse.GetValue(threads),
                MaxWords = parse.GetValue(maxWords),
                ChainEngine = parse.GetSetting<ChainEngine>(chainEngine),
            };
            return Task.Run(() => Train(config, folder, resuming, parse.GetValue(epochs), cancellation), CancellationToken.None);
        });
        return command;
    }

    private static int Train(TextRunConfig requested, string folder, bool resume, int? epochs, CancellationToken cancellation)
    {
        try
        {
            var config = resume ? TextTrainingRun.ReadConfig(folder) : requested;
            config.Validate();
            if (!resume)
            {
                foreach (var path in new[] { config.TrainPath, config.ValidationPath })
                    if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist (make data copies Penn Treebank into .cache/data/text; or pass --train/--validation)", path);
                Directory.CreateDirectory(folder);
            }
            TorchSharp.torch.set_num_threads(config.Threads);
            using var run = resume ? TextTrainingRun.Resume(folder, epochs) : TextTrainingRun.Start(folder, config);
            var t = run.Train;
            AnsiConsole.MarkupLineInterpolated($"{t.Sentences.Count} training sentences ({t.SkippedTooLong} longer than {t.MaxWords} words skipped), vocabulary {run.Vocabulary.Count}, {run.Trainer.IterationsPerEpoch} iterations per epoch, {run.Config.Epochs} epochs, {(run.Config.Model.GaussianPrior ? "Gaussian" : "EBM")} prior; {(run.History.Count > 0 ? $"resuming after epoch {run.History.Count}" : "starting")} in {folder}");
            long perEpoch = run.Trainer.IterationsPerEpoch, total = perEpoch * run.Config.Epochs;
            var started = DateTime.UtcNow;
            long startIteration = perEpoch * run.Trainer.EpochsCompleted, iteration = startIteration;
            Progress.NewProgress().Start(ctx =>
            {
                var task = ctx.AddTask("training", maxValue: total);
                task.Value = iteration;
                run.TrainToEnd(
                    onIteration: s =>
                    {
                        iteration++;
                        double rate = (DateTime.UtcNow - started).TotalSeconds / Math.Max(1, iteration - startIteration);
                        task.Description = $"epoch {run.Trainer.EpochsCompleted + 1}/{run.Config.Epochs} NLL/word {s.NegativeLogLikelihoodPerWord:F3} f(post) {s.PosteriorF,7:F3} f(prior) {s.PriorF,7:F3} {rate:F2} s/it";
                        task.Value = iteration;
                    },
                    onEpoch: e => AnsiConsole.MarkupLineInterpolated(
                        $"epoch {e.Epoch}: train NLL/word {e.NegativeLogLikelihoodPerWord:F3}, validation NLL/word {e.ValidationNllPerWord:F3} (at posterior samples), f(post) {e.PosteriorF:F3}, f(prior) {e.PriorF:F3}, {e.Seconds / e.Iterations:F2} s/iteration"),
                    cancellation: cancellation);
            });
            AnsiConsole.MarkupLineInterpolated($"Done. Run folder: {folder} (config.json, vocabulary.txt, corpus.json, metrics.csv, samples.txt, checkpoints/)");
            return 0;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled: the newest checkpoint (if any) is intact; continue with --resume");
            return 130;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
