using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LatentEbm.Data.IO;
using LatentEbm.Data.Text;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Text;
using LatentEbm.Pipelines.Evaluation;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace LatentEbm.Pipelines.Jobs;

/// <summary>A baseline anomaly score of every sentence of the set, computed by the caller, and the facts of how.</summary>
/// <param name="Name">Its key in the report (snake_case; not <see cref="TextAnomalyReport.EbmScore"/>).</param>
/// <param name="Scores">One score per item of the set, in the set's order; higher = more anomalous.</param>
/// <param name="Facts">How it was made (settings, wall time), recorded as given.</param>
public sealed record TextBaseline(string Name, IReadOnlyList<double> Scores, IReadOnlyDictionary<string, object?> Facts);

/// <summary>What <see cref="TextAnomalyJob.Run"/> wrote.</summary>
/// <param name="Report">report.json's content.</param>
/// <param name="Markdown">report.md, rendered from <paramref name="Report"/>.</param>
/// <param name="EbmScores">The EBM's score of each sentence, in the set's order.</param>
public sealed record TextAnomalyResult(JsonObject Report, string Markdown, IReadOnlyList<double> EbmScores);

/// <summary>
/// Text anomaly detection (issue 13 point 5, beyond the paper): scores a <see cref="TextAnomalySet"/> with a text bundle through
/// the ML.NET pipeline (<c>ScoreLatentEbmTextAnomaly</c> on the text column) and ranks it beside the caller's baselines, for all
/// anomalies together, PTB against Tiny Shakespeare only and PTB against fortunes only: AUPRC, AUROC, average precision and
/// prevalence. Writes <c>report.json</c> (the set's counts and settings, the bundle's provenance, every metric),
/// <c>report.md</c> (rendered from report.json) and <c>scores.csv</c> (one row per sentence). No TorchSharp: baselines are
/// computed by the caller.
/// </summary>
public static class TextAnomalyJob
{
    /// <summary>The subsets ranked: their names and anomaly sources.</summary>
    public static readonly IReadOnlyList<(string Name, TextAnomalySource[] Anomalies)> Subsets =
    [
        ("all", [TextAnomalySource.TinyShakespeare, TextAnomalySource.Fortune]),
        ("ptb_vs_tiny_shakespeare", [TextAnomalySource.TinyShakespeare]),
        ("ptb_vs_fortunes", [TextAnomalySource.Fortune]),
    ];

    private sealed class TextRow
    {
        public string Text { get; set; } = "";
    }

    /// <summary>Runs the evaluation.</summary>
    /// <param name="bundle">Text bundle folder.</param>
    /// <param name="set">The sentences and their sources.</param>
    /// <param name="baselines">Baseline scores, each one per item of <paramref name="set"/>.</param>
    /// <param name="outFolder">Report folder (created).</param>
    /// <param name="seed">Chain seed (sentence i draws from stream i).</param>
    /// <param name="gpuDeviceId">CUDA device, or null for CPU.</param>
    /// <param name="files">The corpus files the set was built from, recorded as given (name → path).</param>
    /// <param name="command">The command line that ran the job, recorded in the report (null: none recorded).</param>
    /// <exception cref="BundleException">The bundle is damaged or not a text bundle.</exception>
    /// <exception cref="ArgumentException">A baseline of the wrong length, a duplicate or reserved name; a set without normal sentences or anomalies of every source.</exception>
    /// <exception cref="InvalidOperationException">A sentence the model cannot read (longer than its max words: build the set with the bundle's limit).</exception>
    /// <exception cref="InvalidScoresException">A non-finite score.</exception>
    public static TextAnomalyResult Run(string bundle, TextAnomalySet set, IReadOnlyList<TextBaseline> baselines, string outFolder,
        int seed = 0, int? gpuDeviceId = null, IReadOnlyDictionary<string, string>? files = null, string? command = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(baselines);
        var manifest = TextBundle.ReadManifest(bundle);
        int n = set.Items.Count;
        var names = new HashSet<string>(StringComparer.Ordinal) { TextAnomalyReport.EbmScore };
        foreach (var b in baselines)
        {
            if (!names.Add(b.Name)) throw new ArgumentException($"baseline name '{b.Name}' is reserved or given twice", nameof(baselines));
            if (b.Scores.Count != n) throw new ArgumentException($"baseline '{b.Name}' has {b.Scores.Count} scores for {n} sentences", nameof(baselines));
        }
        foreach (var source in Enum.GetValues<TextAnomalySource>())
            if (set.Count(source) == 0) throw new ArgumentException($"the set holds no {Key(source)} sentence; every subset needs normal sentences and anomalies", nameof(set));

        var ml = new MLContext(seed);
        var data = ml.Data.LoadFromEnumerable(set.Items.Select(i => new TextRow { Text = i.Text }));
        var watch = Stopwatch.StartNew();
        double[] ebm;
        using (var scorer = ml.Transforms.ScoreLatentEbmTextAnomaly(bundle, inputColumnName: nameof(TextRow.Text), outputColumnName: "Score", seed: seed, gpuDeviceId: gpuDeviceId).Fit(data))
            ebm = [.. scorer.Transform(data).GetColumn<float>("Score").Select(s => (double)s)];
        double seconds = watch.Elapsed.TotalSeconds;

        var all = new List<(string Name, IReadOnlyList<double> Scores)> { (TextAnomalyReport.EbmScore, ebm) };
        all.AddRange(baselines.Select(b => (b.Name, b.Scores)));
        var subsets = new JsonArray();
        foreach (var (name, anomalies) in Subsets)
        {
            int[] rows = [.. Enumerable.Range(0, n).Where(i => set.Items[i].Source == TextAnomalySource.PennTreebank || anomalies.Contains(set.Items[i].Source))];
            byte[] labels = [.. rows.Select(i => set.Items[i].Label)];
            var rankings = all.ToDictionary(s => s.Name, s => TextAnomalyReport.Rank(labels, [.. rows.Select(i => s.Scores[i])]));
            int positives = labels.Count(l => l == 1);
            var subset = new TextAnomalySubset(name, [.. anomalies.Select(Key)], rows.Length - positives, positives, (double)positives / rows.Length, rankings);
            subsets.Add(JsonSerializer.SerializeToNode(subset, AnomalyReport.JsonOptions));
        }

        var report = new JsonObject
        {
            ["command"] = command,
            ["set"] = new JsonObject
            {
                ["counts"] = Counts(s => set.Count(s)),
                ["settings"] = JsonSerializer.SerializeToNode(set.Settings, AnomalyReport.JsonOptions),
                ["usable_shakespeare_lines"] = set.UsableShakespeareLines,
                ["skipped_too_long"] = Counts(s => set.SkippedTooLong.GetValueOrDefault(s)),
                ["skipped_empty"] = Counts(s => set.SkippedEmpty.GetValueOrDefault(s)),
                ["files"] = new JsonObject((files ?? new Dictionary<string, string>()).Select(f => KeyValuePair.Create(f.Key, (JsonNode?)f.Value))),
            },
            ["bundle"] = new JsonObject
            {
                ["path"] = bundle,
                ["name"] = manifest.Name,
                ["created"] = manifest.Created.ToString("O", CultureInfo.InvariantCulture),
                ["model"] = new JsonObject
                {
                    ["nz"] = manifest.Model.Nz,
                    ["vocabulary_size"] = manifest.Model.VocabularySize,
                    ["embedding_size"] = manifest.Model.EmbeddingSize,
                    ["hidden_size"] = manifest.Model.HiddenSize,
                    ["gaussian_prior"] = manifest.Model.GaussianPrior,
                    ["max_words"] = manifest.Observation.MaxWords,
                },
                ["training"] = JsonSerializer.SerializeToNode(manifest.Training, AnomalyReport.JsonOptions),
            },
            ["scoring"] = new JsonObject
            {
                ["score"] = "negative log joint -(log p(x|z) + f(z) - |z|^2 / (2 sigma0^2)) in nats at each sentence's posterior latent",
                ["scored_by"] = "ML.NET pipeline ScoreLatentEbmTextAnomaly on ONNX Runtime",
                ["execution"] = gpuDeviceId is int device ? $"CUDA device {device}" : "CPU",
                ["chain_seed"] = seed,
                ["posterior_steps"] = manifest.Model.PosteriorSteps,
                ["score_seconds"] = seconds,
                ["rows"] = n,
            },
            ["baselines"] = new JsonObject(baselines.Select(b => KeyValuePair.Create(b.Name, JsonSerializer.SerializeToNode(b.Facts, AnomalyReport.JsonOptions)))),
            ["subsets"] = subsets,
        };
        // report.md is rendered from report.json's text, as a reader of the file would.
        string json = report.ToJsonString(AnomalyReport.JsonOptions);
        var written = JsonNode.Parse(json)!.AsObject();
        string markdown = TextAnomalyReport.Markdown(written);
        Directory.CreateDirectory(outFolder);
        AtomicFile.WriteAllText(Path.Combine(outFolder, "report.json"), json);
        AtomicFile.WriteAllText(Path.Combine(outFolder, "report.md"), markdown);
        AtomicFile.WriteAllText(Path.Combine(outFolder, "scores.csv"), Csv(set, all));
        return new TextAnomalyResult(written, markdown, ebm);
    }

    /// <summary>The report's key of a source.</summary>
    public static string Key(TextAnomalySource source) => source switch
    {
        TextAnomalySource.PennTreebank => "penn_treebank",
        TextAnomalySource.TinyShakespeare => "tiny_shakespeare",
        _ => "fortune",
    };

    private static JsonObject Counts(Func<TextAnomalySource, int> count) =>
        new(Enum.GetValues<TextAnomalySource>().Select(s => KeyValuePair.Create(Key(s), (JsonNode?)count(s))));

    /// <summary><c>source,label,score columns...,text</c>, one row per sentence in the set's order; the text quoted.</summary>
    private static string Csv(TextAnomalySet set, List<(string Name, IReadOnlyList<double> Scores)> scores)
    {
        var csv = new StringBuilder("source,label,").Append(string.Join(',', scores.Select(s => s.Name))).Append(",text\n");
        for (int i = 0; i < set.Items.Count; i++)
        {
            csv.Append(Key(set.Items[i].Source)).Append(',').Append(set.Items[i].Label).Append(',');
            foreach (var s in scores) csv.Append(s.Scores[i].ToString("R", CultureInfo.InvariantCulture)).Append(',');
            csv.Append('"').Append(set.Items[i].Text.Replace("\"", "\"\"")).Append("\"\n");
        }
        return csv.ToString();
    }
}
