using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LatentEbm.Data.IO;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Scoring;
using LatentEbm.Pipelines.Evaluation;

namespace LatentEbm.Pipelines.Jobs;

/// <summary>
/// Writes <c>paper-table.md</c> and <c>paper-table.json</c> from the runs of <c>make paper-table</c>
/// (<see cref="PaperRuns.Collect"/>): per held-out digit the mean over seeds of the exported bundles'
/// pr_auc with its 95% interval beside PAPER.md's rows, "above", "within" or "below" each published row
/// by that interval, the score's composition and each term as ablations labelled with how each weighting
/// was decided, the Gaussian-prior comparison, the commands, the budget and the committed bundles. Every
/// sentence about how a number was obtained is built from what the runs recorded, and the bundles'
/// manifests must quote the same numbers as the table.
/// </summary>
public static class PaperTableJob
{
    /// <summary>Writes the report into <paramref name="outFolder"/>.</summary>
    /// <param name="cells">The runs.</param>
    /// <param name="outFolder">Report folder.</param>
    /// <param name="budget">The machine and wall time, quoted in the report.</param>
    /// <param name="bundles">The committed seed-1 bundle of each digit.</param>
    /// <exception cref="ArgumentException">No EBM run, or runs that disagree on the headline score.</exception>
    /// <exception cref="IOException">A committed bundle's manifest does not quote its run's evaluation.</exception>
    public static (string Markdown, JsonObject Json) Write(IReadOnlyList<PaperCell> cells, string outFolder, string budget, IReadOnlyDictionary<int, string> bundles)
    {
        var ebm = cells.Where(c => c.Variant == "ebm").OrderBy(c => c.Digit).ThenBy(c => c.Seed).ToList();
        if (ebm.Count == 0) throw new ArgumentException("no finished ebm run (a folder ebm-digitD-seedS with report.json and evaluation/report.json) to report");
        string weighting = Single(ebm, c => c.Scored("weighting"), "score weighting");
        string provenance = Single(ebm, c => c.Scored("weighting_provenance"), "weighting provenance");
        if (!(ScoreWeightings.Names.Contains(weighting) && ScoreWeightings.FixedInAdvance(weighting)))
            throw new ArgumentException($"the runs' headline score '{weighting}' was not fixed in advance ({provenance}); a table may be headed only by a weighting fixed in advance (train with --score-weights {ScoreWeightings.LogJoint}); others appear as labelled ablations");
        int[] digits = [.. PaperRows.Digits.Where(d => ebm.Any(c => c.Digit == d))];
        var perDigit = digits.ToDictionary(d => d, d => ebm.Where(c => c.Digit == d).ToList());
        var interval = digits.ToDictionary(d => d, d => MeanInterval.Of([.. perDigit[d].Select(c => c.PrAuc)]));
        string Row(Func<int, string> cell) => string.Join(" | ", digits.Select(cell));
        static string F3(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
        double? Published(string model, int d) => PaperRows.For(d).First(r => r.Model.StartsWith(model, StringComparison.Ordinal)).Auprc;

        var md = new StringBuilder();
        var json = new JsonObject();
        md.AppendLine("# MNIST anomaly detection: PAPER.md's table, measured").AppendLine();
        md.AppendLine("## How these numbers were made (from the runs' records)").AppendLine();
        md.AppendLine($"- Runs: {ebm.Count} EBM runs ({Seeds(ebm)}){(cells.Count > ebm.Count ? $" and {cells.Count - ebm.Count} Gaussian-prior runs" : "")}; held-out digits {string.Join(", ", digits)}; dataset {Values(ebm, c => c.Setting("dataset"))}; split seed {Values(ebm, c => c.Setting("split_seed"))}.");
        md.AppendLine($"- Training: {Values(ebm, c => c.Setting("epochs"))} epochs, batch {Values(ebm, c => c.Setting("batch_size"))}, K0 = {Values(ebm, c => c.Setting("prior_steps"))}, K1 = {Values(ebm, c => c.Setting("posterior_steps"))}, nz = {Values(ebm, c => c.Setting("nz"))}; validation fraction {Values(ebm, c => c.Setting("validation_fraction"))} of the normal training images held out of training.");
        md.AppendLine($"- Evaluated: each run's last checkpoint (epoch {Values(ebm, c => c.Scored("epoch"))}), exported and scored by {Values(ebm, c => c.Scored("scored_by"))} ({Values(ebm, c => c.Scored("execution"))}); test-time chain {Values(ebm, c => c.Scored("test_chain_steps"))} steps of s = {Values(ebm, c => c.Scored("test_chain_step_size"))}, noise {Values(ebm, c => c.Scored("test_chain_noise"))}, chain seed {Values(ebm, c => c.Scored("chain_seed"))}.");
        md.AppendLine($"- Headline score: `{weighting}`, {provenance}.");
        md.AppendLine("- AUPRC is `pr_auc`: the trapezoid area between distinct thresholds (scikit-learn `auc(recall, precision)`), anomaly = positive. Intervals: mean ± t(0.975, n − 1) · s / √n over seeds; a published row is \"above\" only when the whole interval lies above it.");
        md.AppendLine();

        md.AppendLine("## AUPRC per held-out digit").AppendLine()
          .AppendLine($"| model | {Row(d => $"digit {d}")} |").AppendLine($"|---|{string.Concat(digits.Select(_ => "---|"))}");
        foreach (var (model, values) in PaperRows.Rows)
            md.AppendLine($"| {model} | {Row(d => values[Array.IndexOf(PaperRows.Digits, d)] is double v ? F3(v) : "-")} |");
        md.AppendLine($"| **LatentEbm, `{weighting}`: mean [95% interval] over seeds** | {Row(d => $"**{interval[d].Format()}**")} |");
        md.AppendLine($"| average precision (step sum), mean | {Row(d => F3(perDigit[d].Average(c => c.AveragePrecision)))} |");
        md.AppendLine($"| AUROC, mean | {Row(d => F3(perDigit[d].Average(c => c.Auroc)))} |");
        md.AppendLine($"| prevalence (a random score) | {Row(d => F3(perDigit[d][0].Prevalence))} |");
        foreach (var model in new[] { "LEBM", "joint latent EBM" })
            md.AppendLine($"| against {model}'s row | {Row(d => Published(model, d) is double p ? Verdict(interval[d].Compare(p)) : "-")} |");
        md.AppendLine();
        md.AppendLine("Per run (the exported bundle through the ML.NET job):").AppendLine()
          .AppendLine("| digit | seed | pr_auc | average precision | auroc | run |").AppendLine("|---|---|---|---|---|---|");
        foreach (var c in ebm)
            md.AppendLine($"| {c.Digit} | {c.Seed} | {c.PrAuc:F4}{(c.Uninformative ? " (constant score: uninformative)" : "")} | {c.AveragePrecision:F4} | {c.Auroc:F4} | `{c.Folder}` |");
        foreach (int d in digits)
        {
            var i = interval[d];
            json[d.ToString(CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["mean"] = i.Mean, ["std"] = i.StandardDeviation, ["n"] = i.Count,
                ["ci95"] = i.Count > 1 ? new JsonArray(i.Lower, i.Upper) : null,
                ["seeds"] = new JsonArray([.. perDigit[d].Select(c => (JsonNode)c.Seed)]),
                ["pr_auc"] = new JsonArray([.. perDigit[d].Select(c => (JsonNode)c.PrAuc)]),
                ["average_precision_mean"] = perDigit[d].Average(c => c.AveragePrecision),
                ["prevalence"] = perDigit[d][0].Prevalence,
                ["lebm_paper"] = Published("LEBM", d), ["vs_lebm"] = Published("LEBM", d) is double l ? i.Compare(l) : null,
                ["joint_latent_ebm"] = Published("joint latent EBM", d), ["vs_joint_latent_ebm"] = Published("joint latent EBM", d) is double j ? i.Compare(j) : null,
            };
        }
        json["headline_weighting"] = weighting;
        json["headline_weighting_provenance"] = provenance;
        json["metric"] = "pr_auc (sklearn auc(recall, precision)) of the exported bundle through the ML.NET job; mean, sample std and Student-t 95% interval over seeds";

        WriteAblation(md, json, ebm, digits);
        WriteGaussianComparison(md, json, cells, ebm, digits);
        WriteCommands(md, ebm, cells, weighting);
        md.AppendLine().AppendLine("## Budget").AppendLine().AppendLine(budget).AppendLine()
          .AppendLine("| run | epochs | iterations | training s | s / iteration | torch threads | peak RSS MiB |").AppendLine("|---|---|---|---|---|---|---|");
        foreach (var c in cells.OrderBy(c => c.Variant).ThenBy(c => c.Digit).ThenBy(c => c.Seed))
            md.AppendLine($"| {c.Variant} digit {c.Digit} seed {c.Seed} | {c.Epochs} | {c.Iterations} | {c.TrainSeconds:F0} | {c.TrainSeconds / c.Iterations:F3} | {c.Threads} | {c.PeakMib:F0} |");
        json["budget"] = budget;
        WriteBundles(md, json, ebm, bundles);

        Directory.CreateDirectory(outFolder);
        string text = md.ToString();
        AtomicFile.WriteAllText(Path.Combine(outFolder, "paper-table.md"), text);
        AtomicFile.WriteAllText(Path.Combine(outFolder, "paper-table.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return (text, json);
    }

    /// <summary>Every weighting and every term alone, on the training command's own chains, each labelled with how it was decided.</summary>
    private static void WriteAblation(StringBuilder md, JsonObject json, List<PaperCell> ebm, int[] digits)
    {
        string Row(Func<int, string> cell) => string.Join(" | ", digits.Select(cell));
        md.AppendLine().AppendLine("## Ablation: the score's composition (labelled, not selected)").AppendLine()
          .AppendLine($"pr_auc, mean over seeds, of each weighting and each term alone on the same test-time chains: those of the training command's own evaluation (`report.json`, TorchSharp, torch threads {Values(ebm, c => c.Threads.ToString(CultureInfo.InvariantCulture))}), not the bundles' chains above: the chains start from TorchSharp's generator there and from the Philox streams here, so the `{Values(ebm, c => c.Scored("weighting"))}` row differs a little from the headline. These rows choose nothing.").AppendLine()
          .AppendLine($"| score | how it was decided | {Row(d => $"digit {d}")} |").AppendLine($"|---|---|{string.Concat(digits.Select(_ => "---|"))}");
        var ablation = new JsonObject();
        foreach (var w in ScoreWeightings.Names.Where(w => ebm.Any(c => c.ByWeights.ContainsKey(w))))
        {
            var means = digits.ToDictionary(d => d, d => ebm.Where(c => c.Digit == d && c.ByWeights.ContainsKey(w)).Select(c => c.ByWeights[w]).DefaultIfEmpty(double.NaN).Average());
            md.AppendLine($"| weights `{w}` | {ScoreWeightings.Provenance(w).Replace("|", "\\|")} | {Row(d => means[d].ToString("F3", CultureInfo.InvariantCulture))} |");
            ablation[w] = new JsonObject { ["provenance"] = ScoreWeightings.Provenance(w), ["mean_pr_auc"] = new JsonObject(digits.Select(d => KeyValuePair.Create(d.ToString(CultureInfo.InvariantCulture), (JsonNode?)means[d]))) };
        }
        foreach (var t in ebm.SelectMany(c => c.ByTerm.Keys).Distinct())
        {
            var runs = digits.ToDictionary(d => d, d => ebm.Where(c => c.Digit == d && c.ByTerm.ContainsKey(t)).Select(c => c.ByTerm[t]).ToList());
            string Cell(int d) => runs[d].Count == 0 ? "-" : runs[d].Any(r => r.Uninformative)
                ? "uninformative (constant)"
                : $"{runs[d].Average(r => r.PrAuc).ToString("F3", CultureInfo.InvariantCulture)} (AP {runs[d].Average(r => r.AveragePrecision).ToString("F3", CultureInfo.InvariantCulture)})";
            md.AppendLine($"| {t} alone | for insight only | {Row(Cell)} |");
            ablation[$"{t}_alone"] = new JsonObject(digits.Select(d => KeyValuePair.Create(d.ToString(CultureInfo.InvariantCulture), (JsonNode?)(runs[d].Count == 0 || runs[d].Any(r => r.Uninformative) ? null : runs[d].Average(r => r.PrAuc)))));
        }
        json["score_ablation"] = ablation;
    }

    /// <summary>The same generator with f = 0, where the baseline ran.</summary>
    private static void WriteGaussianComparison(StringBuilder md, JsonObject json, IReadOnlyList<PaperCell> cells, List<PaperCell> ebm, int[] digits)
    {
        var gaussian = cells.Where(c => c.Variant == "gaussian").OrderBy(c => c.Digit).ToList();
        if (gaussian.Count == 0) return;
        md.AppendLine().AppendLine("## What the EBM prior buys: the same generator with a Gaussian prior (f = 0)").AppendLine()
          .AppendLine("Same settings, seed and score; the Gaussian prior has no prior chain and no prior update. Fréchet distance: between decoded prior samples and the normal test images in the penultimate features of the shipped MNIST classifier (`models/mnist-classifier`), a proxy for sample quality, **not Inception FID**; the data floor is the same distance between as many training images and the test images.").AppendLine()
          .AppendLine("| digit held out | prior | seed | pr_auc | reconstruction MSE | Fréchet distance (classifier features) | data floor |").AppendLine("|---|---|---|---|---|---|---|");
        var rows = new JsonArray();
        foreach (var g in gaussian.Where(g => digits.Contains(g.Digit)))
            foreach (var c in new[] { ebm.FirstOrDefault(c => c.Digit == g.Digit && c.Seed == g.Seed), g })
            {
                if (c is null) continue;
                string F(string key, string format) => c.SampleQuality?[key]?.GetValue<double>().ToString(format, CultureInfo.InvariantCulture) ?? "-";
                md.AppendLine($"| {c.Digit} | {(c.Variant == "gaussian" ? "Gaussian (f = 0)" : "EBM")} | {c.Seed} | {c.PrAuc:F4}{(c.Uninformative ? " (uninformative)" : "")} | {F("reconstruction_mse", "F5")} | {F("frechet_distance", "F3")} | {F("data_frechet_distance", "F3")} |");
                rows.Add(new JsonObject
                {
                    ["digit"] = c.Digit, ["prior"] = c.Variant, ["seed"] = c.Seed, ["pr_auc"] = c.PrAuc,
                    ["reconstruction_mse"] = c.SampleQuality?["reconstruction_mse"]?.GetValue<double>(),
                    ["frechet_distance"] = c.SampleQuality?["frechet_distance"]?.GetValue<double>(),
                    ["data_frechet_distance"] = c.SampleQuality?["data_frechet_distance"]?.GetValue<double>(),
                });
            }
        json["gaussian_prior_comparison"] = rows;
    }

    /// <summary>The commands, with the settings the runs recorded.</summary>
    private static void WriteCommands(StringBuilder md, List<PaperCell> ebm, IReadOnlyList<PaperCell> cells, string weighting)
    {
        string gaussianDigits = string.Join(' ', cells.Where(c => c.Variant == "gaussian").Select(c => c.Digit).Distinct().Order());
        md.AppendLine().AppendLine("## Commands").AppendLine().AppendLine("```sh")
          .AppendLine($"make paper-table EPOCHS={Values(ebm, c => c.Setting("epochs"))} THREADS={Values(ebm, c => c.Threads.ToString(CultureInfo.InvariantCulture))} SEEDS='{string.Join(' ', ebm.Select(c => c.Seed).Distinct().Order())}' DIGITS='{string.Join(' ', ebm.Select(c => c.Digit).Distinct().Order())}' GAUSSIAN_DIGITS='{gaussianDigits}'   # scripts/paper-table.sh")
          .AppendLine("# each run (scripts/paper-job.sh); PRIOR is ebm, or gaussian for the baseline:")
          .AppendLine($"./latent-ebm train --dataset {Values(ebm, c => c.Setting("dataset"))} --holdout-digit D --seed S --epochs {Values(ebm, c => c.Setting("epochs"))} --prior PRIOR --score-weights {weighting} --validation-fraction {Values(ebm, c => c.Setting("validation_fraction"))} --threads {Values(ebm, c => c.Threads.ToString(CultureInfo.InvariantCulture))} --out runs/paper/PRIOR-digitD-seedS")
          .AppendLine("./latent-ebm export --run runs/paper/PRIOR-digitD-seedS --out BUNDLE   # models/lebm-digitD for ebm seed 1, else runs/paper/bundles/PRIOR-digitD-seedS")
          .AppendLine($"./latent-ebm evaluate anomaly --bundle BUNDLE --out runs/paper/PRIOR-digitD-seedS/evaluation --seed {Values(ebm, c => c.Scored("chain_seed"))} --record")
          .AppendLine("./latent-ebm evaluate samples --run runs/paper/PRIOR-digitD-seed1 --classifier models/mnist-classifier   # the Gaussian comparison")
          .AppendLine("./latent-ebm report paper-table --runs runs/paper --bundles models --out reports")
          .AppendLine("```");
    }

    /// <summary>The committed bundles, each checked to quote exactly its run's evaluation.</summary>
    private static void WriteBundles(StringBuilder md, JsonObject json, List<PaperCell> ebm, IReadOnlyDictionary<int, string> bundles)
    {
        md.AppendLine().AppendLine("## Bundles").AppendLine().AppendLine("The seed-1 EBM model of each digit ships as a verified bundle whose manifest quotes the numbers of this table (checked when the report is written):").AppendLine();
        var shipped = new JsonObject();
        foreach (var (digit, path) in bundles.OrderBy(p => p.Key))
        {
            var run = ebm.FirstOrDefault(c => c.Digit == digit && c.Seed == 1)
                      ?? throw new IOException($"{path}: a committed bundle of digit {digit} without its seed-1 run under the runs folder; its numbers cannot be checked against the table");
            var metrics = ModelBundle.ReadManifest(path).Metrics;
            foreach (var (key, measured) in new (string, string)[]
                     {
                         ("pr_auc", run.PrAuc.ToString("R", CultureInfo.InvariantCulture)), ("average_precision", run.AveragePrecision.ToString("R", CultureInfo.InvariantCulture)),
                         ("epoch", run.Scored("epoch")), ("weighting", run.Scored("weighting")),
                     })
            {
                string quoted = metrics.TryGetValue(key, out var v) ? (v.ValueKind == JsonValueKind.Number ? v.GetDouble().ToString("R", CultureInfo.InvariantCulture) : v.ToString()) : "nothing";
                if (quoted != measured)
                    throw new IOException($"{path}/manifest.json quotes {key} {quoted}, but its run {run.Folder} measured {measured}: re-run `latent-ebm evaluate anomaly --bundle {path} --out {run.Folder}/evaluation --record`");
            }
            md.AppendLine($"- digit {digit}: `{path}`, pr_auc {run.PrAuc:F4} (epoch {run.Scored("epoch")})");
            shipped[digit.ToString(CultureInfo.InvariantCulture)] = new JsonObject { ["bundle"] = path, ["pr_auc"] = run.PrAuc };
        }
        json["bundles"] = shipped;
    }

    private static string Verdict(string comparison) => comparison == "above" ? "**above**" : comparison;

    private static string Seeds(List<PaperCell> cells) =>
        string.Join("; ", cells.GroupBy(c => c.Digit).Select(g => $"digit {g.Key}: seeds {string.Join(", ", g.Select(c => c.Seed))}"));

    /// <summary>The distinct values of a recorded setting, joined: one value when every run agrees.</summary>
    private static string Values(IEnumerable<PaperCell> cells, Func<PaperCell, string> of) => string.Join(" / ", cells.Select(of).Distinct());

    private static string Single(IEnumerable<PaperCell> cells, Func<PaperCell, string> of, string what)
    {
        var values = cells.Select(of).Distinct().ToList();
        return values.Count == 1 ? values[0] : throw new ArgumentException($"the runs disagree on the {what} ({string.Join(", ", values)}); a table needs one");
    }
}
