using System.CommandLine;
using System.Diagnostics;
using LatentEbm.Data.Sources;
using LatentEbm.Data.Text;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Text;
using LatentEbm.Pipelines.Evaluation;
using LatentEbm.Pipelines.Jobs;
using LatentEbm.Training.Text.Evaluation;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary>
/// <c>latent-ebm text anomaly</c> (issue 13 point 5, beyond the paper): PTB test sentences as normal against Tiny Shakespeare
/// lines and fortune quotes, the text bundle's score through the ML.NET job (<see cref="TextAnomalyJob"/>) beside the baseline a
/// user would try first: an LSTM language model trained on the PTB training head over the bundle's vocabulary, scoring each
/// sentence by its NLL per token.
/// </summary>
internal static class TextAnomalyCommand
{
    /// <summary>The language-model baseline's key in the report.</summary>
    public const string LmBaseline = "lstm_lm_nll_per_token";

    public static Command Create()
    {
        var lm = new LanguageModelSettings();
        var set = new TextAnomalySetSettings();
        var bundle = new Option<string>("--bundle") { Description = "Text bundle folder (latent-ebm text export)", Required = true };
        var output = new Option<string>("--out") { Description = "Report folder (report.json, report.md, scores.csv)", Required = true };
        var dataRoot = new Option<string>("--data-dir") { Description = "Folder holding datasets: text/ptb.test.txt, text/ptb.train.head.txt, text/tinyshakespeare.txt (make data)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var fortunes = new Option<string>("--fortunes") { Description = "A fortune(6) file of quotes separated by lines holding %", DefaultValueFactory = _ => FortuneFile.DebianPath };
        var shakespeare = new Option<int>("--shakespeare-lines") { Description = "Tiny Shakespeare lines drawn as anomalies", DefaultValueFactory = _ => set.ShakespeareLines };
        var setSeed = new Option<int>("--set-seed") { Description = "Seed of the Tiny Shakespeare draw", DefaultValueFactory = _ => set.Seed };
        var seed = new Option<int>("--seed") { Description = "Chain seed of the EBM score (sentence i draws from stream i)", DefaultValueFactory = _ => 0 };
        var gpu = new Option<int?>("--gpu-device-id") { Description = "CUDA device of the EBM score (default: CPU)" };
        var train = new Option<string?>("--lm-train") { Description = "The language model's training corpus (default: the data folder's text/ptb.train.head.txt)" };
        var lmEpochs = new Option<int>("--lm-epochs") { Description = "The language model's training epochs", DefaultValueFactory = _ => lm.Epochs };
        var lmSeed = new Option<int>("--lm-seed") { Description = "The language model's seed", DefaultValueFactory = _ => lm.Seed };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads of the language model", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("anomaly", "Text anomaly detection: PTB test sentences (normal) against Tiny Shakespeare lines and fortune quotes; the text EBM's score beside an LSTM language model's NLL per token (AUPRC, AUROC) into report.json, report.md and scores.csv.")
        {
            bundle, output, dataRoot, fortunes, shakespeare, setSeed, seed, gpu, train, lmEpochs, lmSeed, threads,
        };
        command.SetAction(parse =>
        {
            try
            {
                if (parse.GetValue(threads) < 1) throw new ArgumentException($"--threads must be at least 1, got {parse.GetValue(threads)}");
                string folder = parse.GetValue(bundle)!, text = Path.Combine(parse.GetValue(dataRoot)!, "text");
                var manifest = TextBundle.ReadManifest(folder);
                var vocabulary = TextVocabulary.Load(Path.Combine(folder, manifest.Observation.Vocabulary), manifest.Observation.MaxWords);
                var files = new Dictionary<string, string>
                {
                    ["ptb_test"] = Path.GetFullPath(Path.Combine(text, "ptb.test.txt")),
                    ["tiny_shakespeare"] = Path.GetFullPath(Path.Combine(text, "tinyshakespeare.txt")),
                    ["fortunes"] = Path.GetFullPath(parse.GetValue(fortunes)!),
                    ["lm_train"] = Path.GetFullPath(parse.GetValue(train) ?? Path.Combine(text, "ptb.train.head.txt")),
                };
                var anomalySet = TextAnomalySet.Build(files["ptb_test"], files["tiny_shakespeare"], files["fortunes"], w => vocabulary.Id(w) != TextVocabulary.UnknownId,
                    set with { MaxWords = manifest.Observation.MaxWords, ShakespeareLines = parse.GetValue(shakespeare), Seed = parse.GetValue(setSeed) });
                AnsiConsole.MarkupLineInterpolated($"Set: {anomalySet.Count(TextAnomalySource.PennTreebank)} PTB test sentences, {anomalySet.Count(TextAnomalySource.TinyShakespeare)} Tiny Shakespeare lines, {anomalySet.Count(TextAnomalySource.Fortune)} fortunes (at most {manifest.Observation.MaxWords} words)");

                TorchSharp.torch.set_num_threads(parse.GetValue(threads));
                var baseline = LanguageModelBaseline(anomalySet, vocabulary, files["lm_train"], lm with { Epochs = parse.GetValue(lmEpochs), Seed = parse.GetValue(lmSeed) }, parse.GetValue(threads));
                AnsiConsole.MarkupLineInterpolated($"Language model baseline: {baseline.Facts["training_sentences"]} training sentences, {baseline.Facts["train_seconds"]:F1} s to train, {baseline.Facts["score_seconds"]:F1} s to score");

                AnsiConsole.MarkupLineInterpolated($"Scoring {anomalySet.Items.Count} sentences with {folder} through the ML.NET pipeline...");
                string line = FormattableString.Invariant($"./latent-ebm text anomaly --bundle {folder} --data-dir {parse.GetValue(dataRoot)} --out {parse.GetValue(output)} --fortunes {parse.GetValue(fortunes)} --shakespeare-lines {parse.GetValue(shakespeare)} --set-seed {parse.GetValue(setSeed)} --seed {parse.GetValue(seed)} --lm-epochs {parse.GetValue(lmEpochs)} --lm-seed {parse.GetValue(lmSeed)} --threads {parse.GetValue(threads)}")
                    + (parse.GetValue(train) is string t ? $" --lm-train {t}" : "") + (parse.GetValue(gpu) is int g ? $" --gpu-device-id {g}" : "");
                var result = TextAnomalyJob.Run(folder, anomalySet, [baseline], parse.GetValue(output)!, parse.GetValue(seed), parse.GetValue(gpu), files, line);
                var table = new Table().AddColumns("subset", "prevalence", "EBM AUPRC", "EBM AUROC", "LM AUPRC", "LM AUROC");
                foreach (var s in result.Report["subsets"]!.AsArray())
                {
                    string F(string score, string metric) => s!["scores"]![score]![metric]!.GetValue<double>().ToString("F3");
                    table.AddRow(s!["name"]!.GetValue<string>(), s["prevalence"]!.GetValue<double>().ToString("F3"),
                        F(TextAnomalyReport.EbmScore, "auprc"), F(TextAnomalyReport.EbmScore, "auroc"), F(LmBaseline, "auprc"), F(LmBaseline, "auroc"));
                }
                AnsiConsole.Write(table);
                AnsiConsole.MarkupLineInterpolated($"Wrote report.json, report.md and scores.csv to {parse.GetValue(output)}");
                return 0;
            }
            catch (Exception e) when (e is BundleException or IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or DataFormatException or InvalidScoresException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>
    /// The baseline a user would try first: an LSTM language model (<see cref="LstmLanguageModel.Train"/>) on <paramref name="trainPath"/>'s
    /// sentences of 1 to the bundle's max words, read with the bundle's vocabulary (unknown words as &lt;unk&gt;), scoring each
    /// sentence of the set by its NLL per token (words and &lt;/s&gt;; higher = more anomalous).
    /// </summary>
    /// <exception cref="FileNotFoundException">No training corpus.</exception>
    /// <exception cref="ArgumentException">A bad setting, or no usable training sentence.</exception>
    private static TextBaseline LanguageModelBaseline(TextAnomalySet set, TextVocabulary vocabulary, string trainPath, LanguageModelSettings settings, int threads)
    {
        if (!File.Exists(trainPath)) throw new FileNotFoundException($"{trainPath} does not exist (make data copies Penn Treebank into .cache/data/text; or pass --lm-train)", trainPath);
        var sentences = new List<int[]>();
        int skipped = 0;
        foreach (string line in TextCorpus.Lines(trainPath))
        {
            try { sentences.Add(vocabulary.Tokenize(line).Ids); }
            catch (TextInputException) { skipped++; }
        }
        if (sentences.Count == 0) throw new ArgumentException($"{trainPath} has no sentence of 1 to {vocabulary.MaxWords} words");
        var watch = Stopwatch.StartNew();
        using var model = LstmLanguageModel.Train(vocabulary.Count, sentences, settings);
        double trainSeconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        var nll = model.NegativeLogLikelihood([.. set.Items.Select(i => vocabulary.Tokenize(i.Text).Ids)]);
        double scoreSeconds = watch.Elapsed.TotalSeconds;
        return new TextBaseline(LmBaseline, nll.Nll.PerTokenOfEach, new Dictionary<string, object?>
        {
            ["score"] = "NLL per token (words and </s>) in nats under an LSTM language model over the bundle's vocabulary",
            ["train_file"] = trainPath,
            ["training_sentences"] = sentences.Count,
            ["training_tokens"] = nll.TrainingTokens,
            ["skipped_training_sentences"] = skipped,
            ["embedding_size"] = settings.EmbeddingSize,
            ["hidden_size"] = settings.HiddenSize,
            ["dropout"] = settings.Dropout,
            ["epochs"] = settings.Epochs,
            ["batch_size"] = settings.BatchSize,
            ["learning_rate"] = settings.LearningRate,
            ["gradient_clip_norm"] = settings.GradientClipNorm,
            ["seed"] = settings.Seed,
            ["final_training_loss"] = nll.FinalTrainingLoss,
            ["threads"] = threads,
            ["train_seconds"] = trainSeconds,
            ["score_seconds"] = scoreSeconds,
        });
    }
}
