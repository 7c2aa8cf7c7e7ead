using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LatentEbm.Pipelines.Evaluation;

/// <summary>One score ranked on one subset (anomaly = positive, higher score = more anomalous).</summary>
/// <param name="Auprc">Trapezoid area under precision-recall between distinct thresholds (<see cref="AnomalyRankingMetrics.PrAuc"/>, scikit-learn <c>auc(recall, precision)</c>).</param>
/// <param name="AveragePrecision">Step-sum average precision (<c>average_precision_score</c>).</param>
/// <param name="Auroc">Area under the ROC curve (<c>roc_auc_score</c>).</param>
/// <param name="Uninformative">The score is constant or nearly so on the subset (<see cref="AnomalyRankingMetrics.IsNearlyConstant"/>).</param>
public sealed record TextScoreRanking(double Auprc, double AveragePrecision, double Auroc, bool Uninformative);

/// <summary>The normal sentences against some of the anomalies, and every score's ranking there.</summary>
/// <param name="Name">The subset's name: <c>all</c>, <c>ptb_vs_tiny_shakespeare</c> or <c>ptb_vs_fortunes</c>.</param>
/// <param name="Anomalies">The anomaly sources it holds.</param>
/// <param name="Normal">Normal sentences (label 0).</param>
/// <param name="AnomalyCount">Anomalies (label 1).</param>
/// <param name="Prevalence">AnomalyCount / (Normal + AnomalyCount): the AUPRC of a random score.</param>
/// <param name="Scores">Per score (the EBM's first, then each baseline), its ranking.</param>
public sealed record TextAnomalySubset(string Name, string[] Anomalies, int Normal, int AnomalyCount, double Prevalence, Dictionary<string, TextScoreRanking> Scores);

/// <summary>
/// The text anomaly report (issue 13 point 5, beyond the paper): Penn Treebank test sentences as normal against Tiny
/// Shakespeare lines and fortune quotes, the text latent EBM's score beside baselines, per subset. Written as
/// <c>report.json</c>; <see cref="Markdown"/> renders <c>report.md</c> from that JSON alone.
/// </summary>
public static class TextAnomalyReport
{
    /// <summary>The key of the text latent EBM's score.</summary>
    public const string EbmScore = "ebm";

    /// <summary>The metrics of one score on one subset.</summary>
    /// <exception cref="InvalidScoresException">Lengths differ, one class, or a non-finite score.</exception>
    public static TextScoreRanking Rank(IReadOnlyList<byte> labels, IReadOnlyList<double> scores)
    {
        var m = AnomalyRankingMetrics.Compute(labels, scores);
        return new TextScoreRanking(m.PrAuc, m.AveragePrecision, m.RocAuc, AnomalyRankingMetrics.IsNearlyConstant(scores));
    }

    /// <summary>
    /// report.md from report.json's content: every number and fact in it is read from <paramref name="report"/>, so the two
    /// never disagree. Expects the keys <see cref="Jobs.TextAnomalyJob"/> writes.
    /// </summary>
    /// <exception cref="InvalidOperationException">A key is missing.</exception>
    public static string Markdown(JsonNode report)
    {
        report = JsonNode.Parse(report.ToJsonString())!; // numbers as JSON holds them, whatever .NET type built the node
        static string F(JsonNode? n) => n is null ? "-" : n.GetValueKind() == JsonValueKind.Number ? n.GetValue<double>().ToString("F3", CultureInfo.InvariantCulture) : n.ToString();
        static string Facts(JsonNode? o) => o is JsonObject { Count: > 0 } obj ? string.Join(", ", obj.Select(p => $"{p.Key} {Value(p.Value)}")) : "-";
        static string Value(JsonNode? n) => n switch
        {
            null => "null",
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>().ToString("G6", CultureInfo.InvariantCulture),
            JsonValue v => v.ToString(),
            _ => n.ToJsonString(),
        };
        JsonNode Need(JsonNode? n, string key) => n?[key] ?? throw new InvalidOperationException($"report.json has no '{key}'");

        var set = Need(report, "set");
        var bundle = Need(report, "bundle");
        var scoring = Need(report, "scoring");
        var subsets = Need(report, "subsets").AsArray();
        var scoreNames = subsets.Count > 0 ? Need(subsets[0], "scores").AsObject().Select(p => p.Key).ToList() : [];
        var md = new StringBuilder();
        md.AppendLine("# Text anomaly detection (issue 13, beyond the paper)").AppendLine()
          .AppendLine("## What was measured (from report.json)").AppendLine()
          .AppendLine(report["command"] is JsonNode c ? $"- Command: `{c}`" : "- Command: not recorded")
          .AppendLine($"- Normal: Penn Treebank test sentences ({Value(Need(set, "counts")["penn_treebank"])}). Anomalies: Tiny Shakespeare spoken lines ({Value(Need(set, "counts")["tiny_shakespeare"])}) and fortune quotes ({Value(Need(set, "counts")["fortune"])}), PTB-style normalised.")
          .AppendLine($"- Set settings: {Facts(Need(set, "settings"))}; usable Tiny Shakespeare lines {Value(Need(set, "usable_shakespeare_lines"))}; left out as too long: {Facts(Need(set, "skipped_too_long"))}; left out as empty: {Facts(Need(set, "skipped_empty"))}.")
          .AppendLine($"- Files: {Facts(Need(set, "files"))}.")
          .AppendLine($"- Bundle: {Value(Need(bundle, "path"))} ({Facts(Need(bundle, "model"))}; trained on {Facts(Need(bundle, "training"))}).")
          .AppendLine($"- EBM score (`{EbmScore}`): {Value(Need(scoring, "score"))}, scored by {Value(Need(scoring, "scored_by"))} ({Value(Need(scoring, "execution"))}), chain seed {Value(Need(scoring, "chain_seed"))}, posterior chain {Value(Need(scoring, "posterior_steps"))} steps, {F(Need(scoring, "score_seconds"))} s for {Value(Need(scoring, "rows"))} sentences.");
        foreach (var (name, facts) in Need(report, "baselines").AsObject())
            md.AppendLine($"- Baseline `{name}`: {Facts(facts)}.");
        md.AppendLine("- AUPRC: trapezoid area under precision-recall between distinct thresholds (scikit-learn `auc(recall, precision)`), anomaly = positive; prevalence is a random score's AUPRC.").AppendLine();

        md.AppendLine("## AUPRC / AUROC").AppendLine()
          .AppendLine("| subset | normal | anomalies | prevalence | " + string.Join(" | ", scoreNames.Select(s => $"{s} AUPRC | {s} AUROC")) + " |")
          .AppendLine("|---|---|---|---|" + string.Concat(scoreNames.Select(_ => "---|---|")));
        foreach (var subset in subsets)
        {
            var scores = Need(subset, "scores");
            md.AppendLine($"| {Value(Need(subset, "name"))} | {Value(Need(subset, "normal"))} | {Value(Need(subset, "anomaly_count"))} | {F(Need(subset, "prevalence"))} | " +
                          string.Join(" | ", scoreNames.Select(s => $"{F(Need(scores, s)["auprc"])}{(Need(scores, s)["uninformative"]?.GetValue<bool>() == true ? " (constant)" : "")} | {F(Need(scores, s)["auroc"])}")) + " |");
        }
        md.AppendLine().AppendLine("Average precision (step sum): " + string.Join("; ", subsets.Select(s =>
            $"{Value(Need(s, "name"))}: " + string.Join(", ", scoreNames.Select(n => $"{n} {F(Need(Need(s, "scores"), n)["average_precision"])}"))))).AppendLine();
        return md.ToString();
    }
}
