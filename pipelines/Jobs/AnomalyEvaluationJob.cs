using System.Diagnostics;
using System.Text.Json;
using LatentEbm.Data.IO;
using LatentEbm.Inference.Scoring;
using LatentEbm.Data.Datasets;
using LatentEbm.Data.Sources;
using LatentEbm.Inference.Bundles;
using LatentEbm.Pipelines.Evaluation;
using LatentEbm.Pipelines.Plots;
using LatentEbm.Pipelines.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace LatentEbm.Pipelines.Jobs;

/// <summary>
/// The anomaly-detection evaluation of a bundle under PAPER.md's protocol, on the bundle's own held-out
/// class (a digit for MNIST) and split seed, scoring through the ML.NET pipeline (<c>ScoreLatentEbmAnomaly</c>). Writes
/// <c>report.json</c>, <c>scores.csv</c> and <c>pr_curve.png</c>; with <c>record</c>, also the bundle's own
/// <c>metrics</c> in its manifest, so that a bundle and every report made from this job quote one number.
/// </summary>
public static class AnomalyEvaluationJob
{
    private sealed class ImageRow
    {
        [VectorType] public float[] Features { get; set; } = [];
    }

    /// <summary>Runs the evaluation.</summary>
    /// <param name="bundle">Model bundle folder.</param>
    /// <param name="dataRoot">Datasets folder.</param>
    /// <param name="outFolder">Report folder (created).</param>
    /// <param name="holdoutDigit">Must equal the bundle's held-out digit when given.</param>
    /// <param name="seed">Chain seed.</param>
    /// <param name="gpuDeviceId">CUDA device, or null for CPU.</param>
    /// <param name="record">Write the metrics into the bundle's <c>manifest.json</c> (atomically; the graphs are untouched).</param>
    /// <param name="dataPath">Folder of the dataset's files when not in the data cache (image folders).</param>
    /// <exception cref="BundleException">The bundle is damaged.</exception>
    /// <exception cref="ArgumentException">The bundle holds out no class, or another class than asked.</exception>
    /// <exception cref="DataFormatException">A data file is damaged.</exception>
    /// <exception cref="InvalidScoresException">One class or non-finite scores.</exception>
    public static AnomalyReport Run(string bundle, string dataRoot, string outFolder, int? holdoutDigit = null, int seed = 0, int? gpuDeviceId = null, bool record = false, string? dataPath = null)
    {
        var manifest = ModelBundle.ReadManifest(bundle);
        if (manifest.Training.HoldoutDigit is null && manifest.Training.HoldoutClass is null)
            throw new ArgumentException($"bundle {bundle} was trained on every class; anomaly evaluation needs a held-out class");
        var source = ImageSources.Open(manifest.Training.Dataset, dataRoot, dataPath);
        var all = source.Load(DataSplit.Train).Concat(source.Load(DataSplit.Test));
        int digit = manifest.Training.HoldoutDigit ?? all.ClassIndex(manifest.Training.HoldoutClass!);
        if (holdoutDigit is int asked && asked != digit)
            throw new ArgumentException($"bundle {bundle} was trained with class {digit} held out; evaluating it on class {asked} would test on its training images");
        var split = AnomalySplit.Create(all, digit, manifest.Training.SplitSeed);
        var test = all.Select(split.TestIndices);
        byte[] labels = [.. split.TestAnomalyLabels];

        var ml = new MLContext(seed);
        var rows = Enumerable.Range(0, test.Count).Select(i => new ImageRow { Features = test.Image(i).ToArray() });
        var definition = SchemaDefinition.Create(typeof(ImageRow));
        definition[0].ColumnType = new VectorDataViewType(NumberDataViewType.Single, test.PixelsPerImage);
        var data = ml.Data.LoadFromEnumerable(rows, definition);
        var watch = Stopwatch.StartNew();
        double[] scores;
        using (var scorer = ml.Transforms.ScoreLatentEbmAnomaly(bundle, outputColumnName: "Score", seed: seed, gpuDeviceId: gpuDeviceId).Fit(data))
            scores = [.. scorer.Transform(data).GetColumn<float>("Score").Select(s => (double)s)];

        // Bundles exported before the name was recorded: a fixed formula is recognised by its weights.
        string? weighting = manifest.Score.Weighting ?? ScoreWeightings.Recognise(
            new AnomalyScoreWeights(manifest.Score.ReconstructionWeight, manifest.Score.EnergyWeight, manifest.Score.LatentNormWeight), manifest.Model.Sigma, manifest.Model.Sigma0);
        var report = AnomalyReport.Evaluate(digit, labels, scores, manifest.Training.TrainSeconds, watch.Elapsed.TotalSeconds, new()
        {
            ["weighting"] = weighting ?? "unrecorded",
            ["weighting_provenance"] = weighting is null ? "unrecorded (the bundle predates the record)" : ScoreWeightings.Provenance(weighting),
            ["epoch"] = manifest.Training.Epochs,
            ["chain_seed"] = seed,
            ["reconstruction_weight"] = manifest.Score.ReconstructionWeight,
            ["energy_weight"] = manifest.Score.EnergyWeight,
            ["latent_norm_weight"] = manifest.Score.LatentNormWeight,
            // The estimator's chain: from the encoder's mean (score.encoder_steps steps) when the bundle has an encoder, else from noise.
            ["test_chain_start"] = manifest.Model.PosteriorStart,
            ["test_chain_steps"] = manifest.Model.HasEncoder ? manifest.Score.EncoderSteps ?? 0 : manifest.Files.First(f => f.Role == BundleRoles.PosteriorLangevin).Steps ?? 0,
            ["test_chain_step_size"] = manifest.Score.StepSize,
            ["test_chain_noise"] = manifest.Score.Noise,
            ["scored_by"] = "ML.NET pipeline ScoreLatentEbmAnomaly on ONNX Runtime",
            ["execution"] = gpuDeviceId is int device ? $"CUDA device {device}" : "CPU",
            ["bundle"] = bundle,
            ["metrics_note"] = "pr_auc: trapezoid area under precision-recall between distinct thresholds, ties grouped (scikit-learn auc(recall, precision), the paper's tables); average_precision: step sum (average_precision_score); auprc_mlnet: ML.NET EvaluateNonCalibrated, a trapezoid over rows without grouping ties, sampled above 100,000 rows, so it can differ",
        });
        if (manifest.Training.HoldoutClass is not null) report = report with { HoldoutClass = all.ClassNames[digit] };
        Directory.CreateDirectory(outFolder);
        report.Write(outFolder, labels, scores);
        if (record) RecordInManifest(bundle, manifest, report, dataPath);
        var (recall, precision) = AnomalyRankingMetrics.Curve(labels, scores);
        PrCurvePlot.Save(Path.Combine(outFolder, "pr_curve.png"), recall, precision, report.Prevalence,
            $"{manifest.Name}: {(manifest.Training.HoldoutDigit is not null ? $"digit {digit}" : $"class {all.ClassNames[digit]}")} held out, pr_auc {report.PrAuc:F3}");
        return report;
    }

    /// <summary>Replaces the manifest's <c>metrics</c> with this evaluation's, atomically.</summary>
    private static void RecordInManifest(string bundle, BundleManifest manifest, AnomalyReport report, string? dataPath)
    {
        var metrics = new Dictionary<string, object?>
        {
            ["holdout_digit"] = manifest.Training.HoldoutDigit,
            ["holdout_class"] = manifest.Training.HoldoutClass,
            ["pr_auc"] = report.PrAuc,
            ["average_precision"] = report.AveragePrecision,
            ["auroc"] = report.Auroc,
            ["prevalence"] = report.Prevalence,
            ["n_test"] = report.NTest,
            ["uninformative"] = report.Uninformative,
            ["epoch"] = report.Score["epoch"],
            ["weighting"] = report.Score["weighting"],
            ["weighting_provenance"] = report.Score["weighting_provenance"],
            ["chain_seed"] = report.Score["chain_seed"],
            ["test_chain_start"] = report.Score["test_chain_start"],
            ["test_chain_steps"] = report.Score["test_chain_steps"],
            ["test_chain_noise"] = report.Score["test_chain_noise"],
            ["measured_by"] = $"latent-ebm evaluate anomaly --bundle {bundle}{(dataPath is null ? "" : $" --data-path {dataPath}")} --seed {report.Score["chain_seed"]} --record (ML.NET ScoreLatentEbmAnomaly on ONNX Runtime, {report.Score["execution"]})",
        };
        var updated = manifest with { Metrics = metrics.ToDictionary(p => p.Key, p => JsonSerializer.SerializeToElement(p.Value)) };
        AtomicFile.WriteAllText(Path.Combine(bundle, ModelBundle.ManifestFile), JsonSerializer.Serialize(updated, BundleManifest.JsonOptions));
    }
}
