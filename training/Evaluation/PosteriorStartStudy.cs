using System.Globalization;
using System.Text;
using System.Text.Json;
using LatentEbm.Inference.Bundles;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Runs;

namespace LatentEbm.Training.Evaluation;

/// <summary>One held-out class: the noise-started and the amortised bundle on the same normal validation images.</summary>
/// <param name="Holdout">The held-out digit or class.</param>
/// <param name="Noise">The noise-started bundle's fit.</param>
/// <param name="Encoder">The amortised bundle's fit.</param>
public sealed record PosteriorStartPair(string Holdout, ValidationFit Noise, ValidationFit Encoder)
{
    /// <summary>Encoder minus noise, mean log joint (nats per image).</summary>
    public double LogJointGain => Encoder.LogJoint - Noise.LogJoint;
}

/// <summary>The study's outcome: every pair and the start the rule chose.</summary>
/// <param name="Pairs">One pair per held-out class.</param>
/// <param name="Chosen">"encoder" or "noise".</param>
/// <param name="Rule">The rule, in words.</param>
/// <param name="ValidationFraction">Share of the training split held out as validation images.</param>
public sealed record PosteriorStartOutcome(IReadOnlyList<PosteriorStartPair> Pairs, string Chosen, string Rule, double ValidationFraction);

/// <summary>
/// Decides the default of <see cref="TrainingConfig.PosteriorStart"/> on normal validation images only (issue 12: never on
/// test AUPRC): for each held-out class, the noise-started and the amortised bundle (same data, split and seed) are measured
/// by <see cref="ValidationFit"/>; the rule, fixed before any measurement, chooses <c>encoder</c> when the mean log joint gain
/// over the classes is positive, else <c>noise</c>. Reconstruction error is reported beside it.
/// </summary>
public static class PosteriorStartStudy
{
    /// <summary>The rule, as written in the report.</summary>
    public const string Rule = "encoder when the amortised bundles' mean normalised log joint of validation images, averaged over the held-out classes, exceeds the noise-started bundles'; else noise (fixed before measuring)";

    /// <summary>Measures every pair and applies <see cref="Rule"/>.</summary>
    /// <param name="pairs">(noise-started bundle, amortised bundle) folders, one pair per held-out class.</param>
    /// <param name="validationFraction">The share of the training split the runs held out (make paper-table: 0.1).</param>
    /// <param name="dataRoot">The data folder.</param>
    /// <param name="partitionSamples">Samples of each log Z estimate.</param>
    /// <param name="onPair">Called after each pair (progress).</param>
    /// <exception cref="ArgumentException">A pair whose bundles differ in data, held-out class or split, or a bundle without a held-out class.</exception>
    public static PosteriorStartOutcome Run(IReadOnlyList<(string Noise, string Encoder)> pairs, double validationFraction, string dataRoot,
        int partitionSamples = 100_000, Action<PosteriorStartPair>? onPair = null)
    {
        if (pairs.Count == 0) throw new ArgumentException("give at least one pair of bundles");
        if (!(validationFraction is > 0 and < 0.5)) throw new ArgumentException($"validation fraction must lie in (0, 0.5), got {validationFraction}");
        var results = new List<PosteriorStartPair>();
        foreach (var (noise, encoder) in pairs)
        {
            var a = ModelBundle.ReadManifest(noise).Training;
            var b = ModelBundle.ReadManifest(encoder).Training;
            if (a.Dataset != b.Dataset || a.HoldoutDigit != b.HoldoutDigit || a.HoldoutClass != b.HoldoutClass || a.SplitSeed != b.SplitSeed)
                throw new ArgumentException($"{noise} and {encoder} were not trained on the same data and split");
            if (a.HoldoutDigit is null && a.HoldoutClass is null) throw new ArgumentException($"{noise} holds no class out: it has no normal validation split");
            var config = new TrainingConfig
            {
                Dataset = Data.Sources.SettingNames.Parse<Data.Sources.DatasetName>(a.Dataset),
                HoldoutDigit = a.HoldoutDigit,
                HoldoutClass = a.HoldoutClass,
                SplitSeed = a.SplitSeed,
                ValidationFraction = validationFraction,
            };
            var validation = RunData.Load(config, dataRoot).Validation!;
            var pair = new PosteriorStartPair(a.HoldoutDigit?.ToString(CultureInfo.InvariantCulture) ?? a.HoldoutClass!,
                ValidationFit.Measure(noise, validation, seed: 1, partitionSamples), ValidationFit.Measure(encoder, validation, seed: 1, partitionSamples));
            results.Add(pair);
            onPair?.Invoke(pair);
        }
        return new PosteriorStartOutcome(results, results.Average(p => p.LogJointGain) > 0 ? "encoder" : "noise", Rule, validationFraction);
    }

    /// <summary>Writes <c>posterior-start.md</c> and <c>posterior-start.json</c> into <paramref name="folder"/>.</summary>
    /// <param name="outcome">The study's outcome.</param>
    /// <param name="folder">The report folder.</param>
    /// <param name="command">The command that made it (quoted).</param>
    public static void Write(PosteriorStartOutcome outcome, string folder, string command)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "posterior-start.json"), JsonSerializer.Serialize(outcome, TrainingConfig.JsonOptions));
        static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
        var md = new StringBuilder()
            .AppendLine("# Where posterior chains start: noise or the encoder, decided on validation data")
            .AppendLine()
            .AppendLine($"Command: `{command}`.")
            .AppendLine()
            .AppendLine($"- Images: the normal validation split of each run (the last {F(outcome.ValidationFraction, "0.##")} of its shuffled training split, never trained on); no test image is used.")
            .AppendLine("- Each bundle infers z with its own chain: the noise-started one from z ~ N(0, sigma0² I), the amortised one from the encoder's mean.")
            .AppendLine("- Log joint: log N(x; g(z), sigma² I) + f(z) − log Z(alpha) + log N(z; 0, sigma0² I), nats per image; log Z(alpha) = log mean exp f(z) over z ~ N(0, sigma0² I).")
            .AppendLine($"- Rule: {outcome.Rule}.")
            .AppendLine()
            .AppendLine("| held out | start | chain steps | images | reconstruction MSE | log joint (± s.e.) | log Z(alpha) (± s.e., samples) | bundle |")
            .AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var p in outcome.Pairs)
            foreach (var fit in new[] { p.Noise, p.Encoder })
                md.AppendLine($"| {p.Holdout} | {fit.PosteriorStart} | {fit.Steps} | {fit.Images} | {F(fit.ReconstructionMse, "F4")} | {F(fit.LogJoint, "F1")} ± {F(fit.LogJointStandardError, "F1")} | {F(fit.LogPartition, "F3")} ± {F(fit.LogPartitionStandardError, "F3")} ({fit.PartitionSamples}) | `{Path.GetRelativePath(Directory.GetCurrentDirectory(), fit.Bundle)}` |");
        double gain = outcome.Pairs.Average(p => p.LogJointGain);
        double mseGain = outcome.Pairs.Average(p => p.Noise.ReconstructionMse - p.Encoder.ReconstructionMse);
        md.AppendLine()
            .AppendLine($"Mean log joint gain of the encoder start: {F(gain, "F1")} nats per image; mean reconstruction MSE {(mseGain >= 0 ? "lower" : "higher")} by {F(Math.Abs(mseGain), "F4")}.")
            .AppendLine()
            .AppendLine($"**Chosen default: `posterior_start: {outcome.Chosen}`.**");
        File.WriteAllText(Path.Combine(folder, "posterior-start.md"), md.ToString());
    }
}
