using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LatentEbm.Data.IO;
using LatentEbm.Pipelines.Evaluation;

namespace LatentEbm.Pipelines.Jobs;

/// <summary>
/// <c>reports/text.md</c> and <c>.json</c> (issue 13's text report): the text metrics of PAPER.md's "Text model" section
/// for the latent-EBM-prior runs, the Gaussian-prior runs and the language-model baseline, written from the facts that
/// <c>latent-ebm text evaluate</c> recorded (its <c>text.json</c>) and nothing else: every setting, sample count, subset size,
/// seed, provenance and wall time in the Markdown is read from them. Several runs of one prior give the mean and 95%
/// interval over them (<see cref="MeanInterval"/>); one run gives its value.
/// </summary>
public static class TextReport
{
    /// <summary>Sentences of Penn Treebank's training split (Mikolov's ptb.train.txt), against which a training file is a subset.</summary>
    public const int PtbTrainingSentences = 42_068;

    /// <summary>Sentences PAPER.md's reverse perplexity trains its language model on.</summary>
    public const int PaperGeneratedSentences = 40_000;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The Markdown label of a prior's row.</summary>
    public static string RowLabel(string prior) => prior switch
    {
        "ebm" => "latent EBM prior",
        "gaussian" => "Gaussian prior (f = 0)",
        _ => prior,
    };

    /// <summary>Writes <c>text.json</c> (the facts as given) and <c>text.md</c> (made from them) into <paramref name="folder"/>.</summary>
    /// <param name="facts">The record of <c>latent-ebm text evaluate</c>.</param>
    /// <param name="folder">Report folder.</param>
    /// <returns>The Markdown.</returns>
    /// <exception cref="IOException">A fact the report needs is missing or of the wrong kind; the message names it.</exception>
    public static string Write(JsonObject facts, string folder)
    {
        string md = Markdown(facts);
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "text.json"), facts.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        AtomicFile.WriteAllText(Path.Combine(folder, "text.md"), md);
        return md;
    }

    /// <summary>The report's Markdown, made from <paramref name="facts"/> alone.</summary>
    /// <exception cref="IOException">A fact is missing or of the wrong kind, named.</exception>
    public static string Markdown(JsonObject facts)
    {
        var runs = Array(facts, "runs").Select(r => (JsonObject)r!).ToList();
        var baselines = Array(facts, "language_model_baselines").Select(b => (JsonObject)b!).ToList();
        if (runs.Count == 0) throw new IOException("text report facts: no run in \"runs\"");
        var test = Obj(runs[0], "test");
        var md = new StringBuilder();
        md.AppendLine($"# Text: the latent EBM prior, the Gaussian prior and a language model on `{Path.GetFileName(Str(test, "path"))}`").AppendLine();
        md.AppendLine("## How these numbers were made (from the evaluation's records)").AppendLine();
        md.AppendLine($"- Command: `{Str(facts, "command")}`. Machine: {Str(facts, "machine")}, {Int(facts, "threads")} torch thread(s); made {Str(facts, "created_utc")}, {Num(facts, "wall_seconds"):F0} s in all.");
        foreach (var training in runs.Select(r => Obj(r, "training")).DistinctBy(t => Str(t, "path")))
        {
            int lines = Int(training, "lines");
            string subset = lines < PtbTrainingSentences
                ? $"a {lines.ToString("N0", Invariant)}-sentence subset of the {PtbTrainingSentences.ToString("N0", Invariant)} sentences of PTB's training split"
                : $"{lines.ToString("N0", Invariant)} sentences";
            md.AppendLine($"- **Not comparable with published numbers**: the training split `{Path.GetFileName(Str(training, "path"))}` is {subset} " +
                          $"({Int(training, "sentences").ToString("N0", Invariant)} of at most {Int(training, "max_words")} words kept, {Int(training, "skipped_too_long")} longer ones skipped); " +
                          "the networks' sizes and training are the runs' own (below), not the paper's.");
        }
        md.AppendLine($"- Test split `{Path.GetFileName(Str(test, "path"))}`: {Int(test, "lines").ToString("N0", Invariant)} sentences, {Int(test, "sentences").ToString("N0", Invariant)} of at most {Int(test, "max_words")} words kept " +
                      $"({Int(test, "skipped_too_long")} longer ones counted and skipped, {Int(test, "skipped_empty")} empty lines), read with each run's vocabulary " +
                      $"({Long(test, "unknown_words").ToString("N0", Invariant)} words read as `<unk>`).");
        md.AppendLine($"- Test subset for the importance-sampled NLL, the reconstructions and the language model's row: {Str(facts, "subset_rule")}; N = {Distinct(runs.Select(r => Int(r, "test_subset").ToString(Invariant)))} " +
                      $"(asked: {Int(Obj(facts, "settings"), "test_sentences")}), {Distinct(runs.Select(r => Long(Obj(Obj(r, "importance_sampled"), "nll"), "tokens").ToString(Invariant)))} scored tokens (words and `</s>`). Fixed before any test sentence was read; no setting was chosen on test numbers.");
        foreach (var r in runs)
        {
            var c = Obj(r, "config");
            var m = Obj(c, "model");
            md.AppendLine($"- `{Str(r, "run")}`: {RowLabel(Str(r, "prior"))}, checkpoint `{Path.GetFileName(Str(r, "checkpoint"))}` after {Int(r, "epochs")} epoch(s) ({Num(r, "train_seconds"):F0} s of training), " +
                          $"seed {Int(m, "seed")}; nz {Int(m, "nz")}, embedding {Int(m, "embedding_size")}, LSTM {Int(m, "hidden_size")}, dropout {F(Num(m, "dropout"))}, prior MLP {Join(Array(m, "prior_hidden"))}, sigma0 {F(Num(m, "sigma0"))}, " +
                          $"batch {Int(m, "batch_size")}, K0 = {Int(m, "prior_steps")} (s0 = {F(Num(m, "prior_step_size"))}), K1 = {Int(m, "posterior_steps")} ({F(Num(m, "posterior_step_size_start"))} down to {F(Num(m, "posterior_step_size_end"))}); " +
                          $"vocabulary {Int(Baseline(baselines, r), "vocabulary_size").ToString("N0", Invariant)} tokens; last validation NLL/token at posterior samples {NumText(r, "validation_nll_per_word", "F3")}.");
        }
        AppendMethods(md, runs, baselines);
        AppendResults(md, runs, baselines);
        AppendPerRun(md, runs, baselines);
        AppendExamples(md, runs);
        return md.ToString();
    }

    private static void AppendMethods(StringBuilder md, List<JsonObject> runs, List<JsonObject> baselines)
    {
        foreach (var r in runs)
        {
            var s = Obj(r, "importance_sampled");
            var settings = Obj(s, "settings");
            var logZ = Obj(s, "log_partition");
            string partition = Bool(s, "gaussian_prior")
                ? "log Z(alpha) = 0 exactly (f = 0: the prior is N(0, sigma0² I)), nothing estimated"
                : $"log Z(alpha) ≈ log mean_j exp f(z_j) over M = {Int(logZ, "samples").ToString("N0", Invariant)} draws z_j ~ N(0, sigma0² I), once for all sentences: {Num(logZ, "value"):F4} (delta-method standard error {Num(logZ, "standard_error"):F4})";
            md.AppendLine($"- Importance sampling, `{Str(r, "run")}`: log p(x) ≈ log (1/N) Σ_i p(x|z_i) p_alpha(z_i) / q(z_i|x) with N = {Int(settings, "samples")} samples per sentence from q = {Str(s, "proposal")}; " +
                          $"{partition}; seed {Int(settings, "seed")}, {Int(settings, "batch_size")} sentences per chain batch; mean effective sample fraction {Num(s, "mean_effective_sample_fraction"):F3}. " +
                          "The estimate of p(x) is unbiased, so that of log p(x) is biased low: NLL is an upper bound in expectation.");
        }
        var first = runs[0];
        var rec = Obj(first, "reconstruction");
        var bleu = Obj(rec, "bleu");
        md.AppendLine($"- Reconstructions: each test sentence's posterior Langevin chain from z ~ N(0, sigma0² I) with the run's learning schedule (noise on; seed {Distinct(runs.Select(r => Int(Obj(r, "reconstruction"), "seed").ToString(Invariant)))}), " +
                      $"greedy decoding of its end; corpus BLEU-{Int(bleu, "max_order")} against the inputs over word ids (`<unk>` a word), smoothing {Str(bleu, "smoothing")}.");
        foreach (var r in runs)
        {
            var g = Obj(r, "generation");
            md.AppendLine($"- Generation, `{Str(r, "run")}`: M = {Int(g, "sentences").ToString("N0", Invariant)} sentences ({Str(g, "rule")}; PAPER.md's reverse perplexity uses {PaperGeneratedSentences.ToString("N0", Invariant)}), " +
                          $"prior chains of K0 = {Int(g, "prior_steps")} steps of s0 = {F(Num(g, "prior_step_size"))} from N(0, sigma0² I), {Int(g, "batch_size")} per batch, then sampled decoding at temperature {F(Num(g, "temperature"))} " +
                          $"up to {Int(Obj(r, "config"), "max_words")} words; seed {Int(g, "seed")}. Mean {Num(g, "mean_words"):F1} words; {Int(g, "empty")} empty; {Int(g, "at_max_words")} of the maximum length.");
        }
        foreach (var (b, i) in baselines.Select((b, i) => (b, i)))
        {
            var lm = Obj(Obj(b, "test_subset"), "settings");
            var sub = Obj(b, "test_subset");
            md.AppendLine($"- Language models (baseline {i}: trained on the {Int(sub, "training_sentences").ToString("N0", Invariant)} sentences of `{Path.GetFileName(Str(Obj(b, "training"), "path"))}`; the reverse-perplexity models on each run's generated sentences): " +
                          $"one-layer LSTM, embedding {Int(lm, "embedding_size")}, {Int(lm, "hidden_size")} units, dropout {F(Num(lm, "dropout"))}, {Int(lm, "epochs")} epochs of batch {Int(lm, "batch_size")}, Adam {F(Num(lm, "learning_rate"))}, " +
                          $"gradient norm clipped at {F(Num(lm, "gradient_clip_norm"))}, seed {Int(lm, "seed")}; final training loss {NumText(sub, "epoch_losses", "F3", last: true)} nats/token; trained in {Num(sub, "train_seconds"):F0} s. " +
                          $"Its row scores the test subset exactly (no sampling); it also gives the forward perplexity, and on all {Int(Obj(b, "test_split"), "nll", "sentences")} kept test sentences a perplexity of {Num(Obj(Obj(b, "test_split"), "nll"), "perplexity"):F2}, the reference for reverse perplexity.");
        }
        md.AppendLine($"- Reverse perplexity: the language model trained on a run's generated sentences, scored on all kept test sentences. Forward perplexity: the generated sentences under the baseline language model. " +
                      $"Perplexity = exp(Σ NLL / Σ tokens), `</s>` a token. Word-frequency KL: KL(p_train || p_gen) of unigram frequencies over the {Int(Obj(first, "word_frequency_kl"), "words").ToString("N0", Invariant)} words, " +
                      $"add-{F(Num(Obj(first, "word_frequency_kl"), "pseudo_count"))} smoothing of the generated counts, the four specials not counted.");
        md.AppendLine("- Rows: one per prior; a cell is one run's value, or with several runs of a prior the mean and 95% interval over them (mean ± t(0.975, n − 1) · s / √n). One run per prior: no interval, so no verdict.").AppendLine();
    }

    private static readonly (string Header, string[] Path, string Format)[] Columns =
    [
        ("NLL per sentence (nats)", ["importance_sampled", "nll", "nll_per_sentence"], "F2"),
        ("NLL per token (nats)", ["importance_sampled", "nll", "nll_per_token"], "F4"),
        ("perplexity", ["importance_sampled", "nll", "perplexity"], "F2"),
        ("BLEU-4 of reconstructions", ["reconstruction", "bleu", "score"], "F4"),
        ("reverse perplexity", ["reverse_perplexity", "nll", "perplexity"], "F2"),
        ("forward perplexity", ["forward_perplexity", "nll", "perplexity"], "F2"),
        ("word-frequency KL (nats)", ["word_frequency_kl", "kl"], "F4"),
    ];

    private static void AppendResults(StringBuilder md, List<JsonObject> runs, List<JsonObject> baselines)
    {
        md.AppendLine($"## Results on the test subset (N = {Distinct(runs.Select(r => Int(r, "test_subset").ToString(Invariant)))})").AppendLine();
        md.AppendLine("| row | runs | " + string.Join(" | ", Columns.Select(c => c.Header)) + " |");
        md.AppendLine("|---|---|" + string.Concat(Columns.Select(_ => "---|")));
        foreach (var group in runs.GroupBy(r => Str(r, "prior")).OrderBy(g => g.Key == "ebm" ? 0 : g.Key == "gaussian" ? 1 : 2))
        {
            var members = group.ToList();
            md.AppendLine($"| {RowLabel(group.Key)} | {members.Count} | " + string.Join(" | ", Columns.Select(c => Cell(members.Select(r => At(r, c.Path)).ToList(), c.Format))) + " |");
        }
        foreach (var (b, i) in baselines.Select((b, i) => (b, i)))
        {
            var nll = Obj(Obj(b, "test_subset"), "nll");
            md.AppendLine($"| LSTM language model on the real training sentences (baseline {i}, exact) | 1 | {Num(nll, "nll_per_sentence"):F2} | {Num(nll, "nll_per_token"):F4} | {Num(nll, "perplexity"):F2} | - | " +
                          $"{Num(Obj(Obj(b, "test_split"), "nll"), "perplexity"):F2} (its own test perplexity: the reference) | - | - |");
        }
        md.AppendLine();
    }

    private static void AppendPerRun(StringBuilder md, List<JsonObject> runs, List<JsonObject> baselines)
    {
        md.AppendLine("## Every run, and where the time went").AppendLine();
        md.AppendLine("| run | prior | seed | NLL per sentence | perplexity | log Z(alpha) | effective sample fraction | BLEU-4 | reverse perplexity | forward perplexity | word KL | seconds: importance sampling | reconstruction | generation | reverse LM training | forward scoring | all |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in runs)
        {
            var s = Obj(r, "importance_sampled");
            md.AppendLine($"| `{Str(r, "run")}` | {Str(r, "prior")} | {Int(Obj(Obj(r, "config"), "model"), "seed")} | {Num(Obj(s, "nll"), "nll_per_sentence"):F2} | {Num(Obj(s, "nll"), "perplexity"):F2} | " +
                          $"{Num(Obj(s, "log_partition"), "value"):F4} | {Num(s, "mean_effective_sample_fraction"):F3} | {Num(Obj(Obj(r, "reconstruction"), "bleu"), "score"):F4} | " +
                          $"{Num(Obj(Obj(r, "reverse_perplexity"), "nll"), "perplexity"):F2} | {Num(Obj(Obj(r, "forward_perplexity"), "nll"), "perplexity"):F2} | {Num(Obj(r, "word_frequency_kl"), "kl"):F4} | " +
                          $"{Num(s, "seconds"):F0} | {Num(Obj(r, "reconstruction"), "seconds"):F0} | {Num(Obj(r, "generation"), "seconds"):F0} | " +
                          $"{Num(Obj(r, "reverse_perplexity"), "train_seconds"):F0} | {Num(Obj(r, "forward_perplexity"), "score_seconds"):F0} | {Num(r, "seconds"):F0} |");
        }
        foreach (var (b, i) in baselines.Select((b, i) => (b, i)))
            md.AppendLine($"\nBaseline {i}'s language model: {Num(Obj(b, "test_subset"), "train_seconds"):F0} s of training, {Num(Obj(b, "test_subset"), "score_seconds") + Num(Obj(b, "test_split"), "score_seconds"):F0} s of scoring.");
        md.AppendLine();
    }

    private static void AppendExamples(StringBuilder md, List<JsonObject> runs)
    {
        md.AppendLine("## Examples (the first of each set)").AppendLine();
        foreach (var r in runs)
        {
            md.AppendLine($"`{Str(r, "run")}` ({RowLabel(Str(r, "prior"))}), generated:").AppendLine();
            foreach (var s in Array(Obj(r, "generation"), "examples")) md.AppendLine($"- {Escape(s?.ToString() ?? "")}");
            md.AppendLine().AppendLine("test sentence → greedy reconstruction:").AppendLine();
            foreach (var p in Array(Obj(r, "reconstruction"), "examples"))
                md.AppendLine($"- {Escape(p?["input"]?.ToString() ?? "")} → {Escape(p?["reconstruction"]?.ToString() ?? "")}");
            md.AppendLine();
        }
    }

    /// <summary>One value, or the mean and 95% interval of several.</summary>
    private static string Cell(IReadOnlyList<double> values, string format)
    {
        if (values.Count == 1) return values[0].ToString(format, Invariant);
        var interval = MeanInterval.Of(values);
        return $"{interval.Mean.ToString(format, Invariant)} [{interval.Lower.ToString(format, Invariant)}, {interval.Upper.ToString(format, Invariant)}]";
    }

    private static JsonObject Baseline(List<JsonObject> baselines, JsonObject run)
    {
        int index = Int(run, "language_model_baseline");
        return index >= 0 && index < baselines.Count ? baselines[index] : throw new IOException($"text report facts: run {Str(run, "run")} names language-model baseline {index}, of {baselines.Count}");
    }

    private static double At(JsonObject o, string[] path)
    {
        JsonObject node = o;
        for (int i = 0; i < path.Length - 1; i++) node = Obj(node, path[i]);
        return Num(node, path[^1]);
    }

    private static string Escape(string text) => text.Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal);

    private static string F(double v) => v.ToString("G", Invariant);

    private static string Distinct(IEnumerable<string> values) => string.Join(", ", values.Distinct());

    private static string Join(JsonArray a) => string.Join("-", a.Select(x => x?.ToString()));

    private static JsonNode Get(JsonObject o, string name) => o[name] ?? throw new IOException($"text report facts: \"{name}\" is missing");

    private static JsonObject Obj(JsonObject o, string name) => Get(o, name) as JsonObject ?? throw new IOException($"text report facts: \"{name}\" is not an object");

    private static JsonArray Array(JsonObject o, string name) => Get(o, name) as JsonArray ?? throw new IOException($"text report facts: \"{name}\" is not an array");

    private static string Str(JsonObject o, string name) => Get(o, name) is JsonValue v && v.TryGetValue(out string? s) ? s : throw new IOException($"text report facts: \"{name}\" is not a string");

    private static bool Bool(JsonObject o, string name) => Get(o, name) is JsonValue v && v.TryGetValue(out bool b) ? b : throw new IOException($"text report facts: \"{name}\" is not true or false");

    private static double Num(JsonObject o, string name) => Number(Get(o, name)) ?? throw new IOException($"text report facts: \"{name}\" is not a number");

    /// <summary>A JSON number as a double, whatever .NET type it was made from; null for anything else (NaN is written as a string).</summary>
    private static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? double.Parse(v.ToJsonString(), Invariant) : null;

    private static int Int(JsonObject o, string name) => (int)Num(o, name);

    private static long Long(JsonObject o, string name) => (long)Num(o, name);

    private static int Int(JsonObject o, string outer, string name) => Int(Obj(o, outer), name);

    /// <summary>A number as text, or "not measured" when the record holds none (NaN is written as a string).</summary>
    private static string NumText(JsonObject o, string name, string format, bool last = false)
    {
        var node = Get(o, name);
        if (last) node = node is JsonArray a && a.Count > 0 ? a[^1]! : null!;
        return Number(node)?.ToString(format, Invariant) ?? "not measured";
    }
}
