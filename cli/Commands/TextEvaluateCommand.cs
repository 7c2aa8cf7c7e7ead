using System.CommandLine;
using System.Text.Json.Nodes;
using LatentEbm.Pipelines.Jobs;
using LatentEbm.Training.Text;
using LatentEbm.Training.Text.Evaluation;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary>
/// <c>latent-ebm text evaluate</c>: the text metrics of every given run on the test split (<see cref="TextEvaluation"/>),
/// the language-model baseline beside them, written as <c>text.json</c> (the facts) and <c>text.md</c> (made from them,
/// <see cref="TextReport"/>).
/// </summary>
internal static class TextEvaluateCommand
{
    public static Command Create()
    {
        var defaults = new TextEvaluationSettings();
        var runs = new Option<string[]>("--run") { Description = "Text run folder (its config.json says EBM or Gaussian prior); repeat for more runs", Required = true, AllowMultipleArgumentsPerToken = true };
        var dataRoot = new Option<string>("--data-dir") { Description = "Datasets folder (the test split is its text/ptb.test.txt)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var testPath = new Option<string?>("--test") { Description = "Test corpus, one sentence per line (default: the data folder's text/ptb.test.txt)" };
        var output = new Option<string>("--out") { Description = "Report folder: text.json and text.md are written there", DefaultValueFactory = _ => "reports" };
        var testSentences = new Option<int>("--test-sentences") { Description = "N: the first N kept test sentences are scored by importance sampling and reconstructed", DefaultValueFactory = _ => defaults.TestSentences };
        var generated = new Option<int?>("--generated") { Description = "M: sentences generated from each run's prior (default: as many as the run's training sentences)" };
        var seed = new Option<int>("--seed") { Description = "Seed of every draw of the evaluation", DefaultValueFactory = _ => defaults.Seed };
        var lmEpochs = new Option<int>("--lm-epochs") { Description = "Training epochs of the evaluation language models (the baseline and each reverse-perplexity model)", DefaultValueFactory = _ => defaults.LanguageModel.Epochs };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads", DefaultValueFactory = _ => 1 };
        var command = new Command("evaluate", "Text metrics on the test split (PAPER.md, \"Text model\"): NLL and perplexity by importance sampling, BLEU of greedy reconstructions, reverse and forward perplexity, word-frequency KL, beside an LSTM language model; writes text.json and text.md.")
        {
            runs, dataRoot, testPath, output, testSentences, generated, seed, lmEpochs, threads,
        };
        command.SetAction((parse, cancellation) =>
        {
            var settings = defaults with
            {
                TestSentences = parse.GetValue(testSentences), GeneratedSentences = parse.GetValue(generated), Seed = parse.GetValue(seed),
                LanguageModel = defaults.LanguageModel with { Epochs = parse.GetValue(lmEpochs) },
            };
            string test = Path.GetFullPath(parse.GetValue(testPath) ?? Path.Combine(parse.GetValue(dataRoot)!, "text", "ptb.test.txt"));
            string[] folders = parse.GetValue(runs)!;
            int t = parse.GetValue(threads);
            var line = new List<string> { "./latent-ebm text evaluate" };
            line.AddRange(folders.Select(f => $"--run {f}"));
            line.Add(parse.GetValue(testPath) is null ? $"--data-dir {parse.GetValue(dataRoot)}" : $"--test {parse.GetValue(testPath)}");
            line.Add($"--out {parse.GetValue(output)} --test-sentences {settings.TestSentences}");
            if (settings.GeneratedSentences is int m) line.Add($"--generated {m}");
            line.Add(FormattableString.Invariant($"--seed {settings.Seed} --lm-epochs {settings.LanguageModel.Epochs} --threads {t}"));
            return Task.Run(() => Run(folders, test, settings, t, parse.GetValue(output)!, string.Join(' ', line), cancellation), CancellationToken.None);
        });
        return command;
    }

    private static int Run(string[] folders, string test, TextEvaluationSettings settings, int threads, string output, string commandLine, CancellationToken cancellation)
    {
        try
        {
            if (threads < 1) throw new ArgumentException($"--threads must be at least 1, got {threads}");
            if (!File.Exists(test)) throw new FileNotFoundException($"{test} does not exist (make data copies Penn Treebank into .cache/data/text; or pass --test)", test);
            TorchSharp.torch.set_num_threads(threads);
            TextEvaluationRecord? record = null;
            Progress.NewProgress().Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                record = TextEvaluationJob.Run(folders, test, settings, commandLine, threads, (folder, p) =>
                {
                    string key = $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(folder))}: {p.Stage}";
                    if (!tasks.TryGetValue(key, out var task)) tasks[key] = task = ctx.AddTask(Markup.Escape(key), maxValue: Math.Max(1, p.Total));
                    task.Value = p.Done;
                }, cancellation);
            });
            TextReport.Write(JsonNode.Parse(record!.ToJson())!.AsObject(), output);
            Show(record);
            AnsiConsole.MarkupLineInterpolated($"Wrote {Path.Combine(output, "text.md")} and text.json in {record.WallSeconds:F0} s");
            return 0;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled: nothing was written");
            return 130;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static void Show(TextEvaluationRecord record)
    {
        var table = new Table().AddColumns("run", "prior", "NLL/sentence", "perplexity", "BLEU-4", "reverse ppl", "forward ppl", "word KL");
        foreach (var r in record.Runs)
            table.AddRow(Markup.Escape(r.Run), TextReport.RowLabel(r.Prior), $"{r.ImportanceSampled.Nll.NllPerSentence:F2}", $"{r.ImportanceSampled.Nll.Perplexity:F2}",
                $"{r.Reconstruction.Bleu.Score:F4}", $"{r.ReversePerplexity.Nll.Perplexity:F2}", $"{r.ForwardPerplexity.Nll.Perplexity:F2}", $"{r.WordFrequencyKl.Kl:F4}");
        foreach (var (b, i) in record.LanguageModelBaselines.Select((b, i) => (b, i)))
            table.AddRow($"language model {i} (real training text)", "-", $"{b.TestSubset.Nll.NllPerSentence:F2}", $"{b.TestSubset.Nll.Perplexity:F2}", "-", "-", "-", "-");
        AnsiConsole.Write(table);
    }
}
