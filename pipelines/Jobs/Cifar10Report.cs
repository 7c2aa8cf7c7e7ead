using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LatentEbm.Data.IO;
using LatentEbm.Inference.Bundles;

namespace LatentEbm.Pipelines.Jobs;

/// <summary>
/// <c>reports/cifar10.md</c> and <c>.json</c> (issue 11's CIFAR-10 job): the conv-generator runs with the EBM
/// prior and the Gaussian baseline side by side, built only from what the runs recorded (<c>config.json</c>,
/// <c>metrics.csv</c>, <c>sample_quality.json</c>), the exported bundle's manifest and the feature classifier's
/// card. One seed per prior: no interval, so no verdict against the published rows; the sample-quality numbers
/// are in a product-trained classifier's features (a proxy, not Inception FID) on a JPEG re-encode of CIFAR-10.
/// </summary>
public static class Cifar10Report
{
    /// <summary>PAPER.md, "Image results": LEBM's CIFAR-10 FID (Inception features, 50,000 prior samples).</summary>
    public const double PublishedLebmFid = 70.15;

    /// <summary>Writes the report files into <paramref name="outFolder"/>.</summary>
    /// <param name="runs">Run folders (each with config.json, metrics.csv and sample_quality.json).</param>
    /// <param name="bundle">The exported bundle of the EBM run, or null.</param>
    /// <param name="classifier">The feature classifier's folder (classifier.json), or null.</param>
    /// <param name="outFolder">Where cifar10.md and cifar10.json go.</param>
    /// <param name="budget">The machine and wall time, quoted as given.</param>
    /// <exception cref="IOException">A run lacks a file the report needs; the message names it.</exception>
    public static JsonObject Write(IReadOnlyList<string> runs, string? bundle, string? classifier, string outFolder, string budget)
    {
        var rows = runs.Select(ReadRun).ToList();
        JsonObject? card = classifier is null ? null : ReadJson(Path.Combine(classifier, "classifier.json"));
        BundleManifest? manifest = bundle is null ? null : ModelBundle.ReadManifest(bundle);

        var json = new JsonObject
        {
            ["dataset"] = "cifar-10 (JPEG re-encode of the original, ../shared/data/cifar-10-jpg.tar.gz)",
            ["command"] = "make cifar10",
            ["budget"] = budget,
            ["runs"] = new JsonArray([.. rows.Select(r => (JsonNode)r.Json.DeepClone())]),
            ["classifier"] = card?.DeepClone(),
            ["bundle"] = manifest is null ? null : new JsonObject
            {
                ["folder"] = bundle,
                ["verifier_version"] = manifest.Verification?.VerifierVersion,
                ["worst_error_over_bound"] = manifest.Verification?.Checks.Max(c => c.RelativeError / c.Tolerance),
                ["checks"] = manifest.Verification?.Checks.Length,
            },
            ["published_lebm_fid"] = PublishedLebmFid,
            ["comparable_with_published"] = false,
        };

        var md = new StringBuilder();
        md.AppendLine("# CIFAR-10: the latent EBM prior against the Gaussian prior, ConvTranspose generator").AppendLine();
        md.AppendLine("## How these numbers were made (from the runs' records)").AppendLine();
        md.AppendLine($"- Command: `make cifar10` (scripts/cifar10.sh). Budget: {budget}");
        foreach (var r in rows)
        {
            var c = r.Config;
            md.AppendLine($"- `{r.Folder}`: prior {c["prior"]}, generator {c["generator"]} (ngf {c["ngf"]}), nz {c["nz"]}, observation {Shape(c["observation"]?["shape"])}, " +
                          $"batch {c["batch_size"]}, K0 = {c["prior_steps"]} (s0 = {c["prior_step_size"]}), K1 = {c["posterior_steps"]} (s1 = {c["posterior_step_size"]}), " +
                          $"sigma {c["sigma"]}, sigma0 {c["sigma0"]}, learning rates {c["prior_learning_rate"]} (prior) and {c["generator_learning_rate"]} (generator), seed {c["seed"]}; " +
                          $"{r.Epochs} epochs of {r.Iterations} iterations on {Text(r.Quality, "train_images") ?? "the 50,000 training"} images in {r.TrainSeconds:F0} s ({r.SecondsPerIteration:F2} s per iteration).");
        }
        if (rows.Count > 0)
            md.AppendLine($"- Training wall time: {rows.Max(r => r.TrainSeconds):F0} s for the longest run (the runs train at once); " +
                          $"the feature classifier's training {Number(card?["train_seconds"], "F0")} s (its card); export and the sample-quality measurements are in the budget line above.");
        if (card is not null)
            md.AppendLine($"- Feature classifier (`{classifier}`): {card["architecture"]}, {card["feature_dimension"]} features, " +
                          $"test accuracy {Number(card["test_accuracy"], "F4")} on the 10,000 CIFAR-10 test images, trained by the product ({card["epochs"]} epochs, seed {card["seed"]}).");
        md.AppendLine("- Reconstruction: mean squared error per pixel on [-1, 1] of g(z) against x over the test images, z from each run's test-time posterior chain (its `score` settings in config.json).");
        md.AppendLine("- Fréchet distance and KID (kernel inception distance, cubic polynomial kernel, mean ± std over subsets) between decoded prior samples and the test images, in the feature classifier's penultimate layer. The data floor is the same distance between as many training images and the test images.");
        md.AppendLine($"- Not comparable with published numbers: the features are a small classifier's, not Inception's (PAPER.md's LEBM CIFAR-10 FID, {PublishedLebmFid}, is Inception FID on 50,000 samples); the pixels are a JPEG re-encode; the networks are narrower and trained for far fewer epochs than the paper's (CPU budget). One seed per prior: no interval, so no verdict.");
        md.AppendLine();
        md.AppendLine("## Results").AppendLine();
        md.AppendLine("| prior | epochs | train seconds | test reconstruction MSE | Fréchet distance | KID | data floor: Fréchet | data floor: KID | samples |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            var q = r.Quality;
            md.AppendLine($"| {r.Config["prior"]} | {r.Epochs} | {r.TrainSeconds:F0} | {Number(q["reconstruction_mse"], "F5")} | {Number(q["frechet_distance"], "F3")} | " +
                          $"{Kid(q["kid_mean"], q["kid_std"])} | {Number(q["data_frechet_distance"], "F3")} | {Kid(q["data_kid_mean"], q["data_kid_std"])} | {q["samples"]} |");
        }
        md.AppendLine();
        if (manifest is not null)
        {
            md.AppendLine("## The bundle").AppendLine();
            md.AppendLine($"`{bundle}` (the EBM run's last checkpoint): observation {string.Join("x", manifest.Model.ImageShape)} on [{manifest.Model.PixelRange[0]}, {manifest.Model.PixelRange[1]}], " +
                          $"generator `{manifest.Model.GeneratorLayers}`; verified at export (verifier version {manifest.Verification?.VerifierVersion}, {manifest.Verification?.Checks.Length} checks, " +
                          $"worst error {manifest.Verification?.Checks.Max(c => c.RelativeError / c.Tolerance):P0} of its bound).");
            md.AppendLine();
        }
        md.AppendLine("## Pictures").AppendLine();
        foreach (var r in rows)
        {
            string prior = r.Config["prior"]?.ToString() ?? "run";
            foreach (var picture in new[] { "prior_samples", "reconstructions" })
            {
                string source = Path.Combine(r.Folder, picture + ".png");
                if (!File.Exists(source)) continue;
                string name = $"cifar10-{prior}-{picture.Replace('_', '-')}.png";
                Directory.CreateDirectory(outFolder);
                File.Copy(source, Path.Combine(outFolder, name), overwrite: true);
                md.AppendLine($"- {prior} prior, {picture.Replace('_', ' ')} (`{r.Folder}/{picture}.png`): ![{prior} {picture.Replace('_', ' ')}]({name})");
            }
        }

        Directory.CreateDirectory(outFolder);
        AtomicFile.WriteAllText(Path.Combine(outFolder, "cifar10.md"), md.ToString());
        AtomicFile.WriteAllText(Path.Combine(outFolder, "cifar10.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return json;
    }

    private sealed record Run(string Folder, JsonObject Config, JsonObject Quality, int Epochs, int Iterations, double TrainSeconds, double SecondsPerIteration, JsonObject Json);

    private static Run ReadRun(string folder)
    {
        var config = ReadJson(Path.Combine(folder, "config.json"));
        var quality = ReadJson(Path.Combine(folder, "sample_quality.json"));
        string metricsPath = Path.Combine(folder, "metrics.csv");
        if (!File.Exists(metricsPath)) throw new FileNotFoundException($"{metricsPath} is missing: the run has not finished an epoch", metricsPath);
        var lines = File.ReadAllLines(metricsPath).Where(l => l.Length > 0).ToArray();
        var header = lines[0].Split(',');
        var epochs = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        if (epochs.Length == 0) throw new IOException($"{metricsPath}: no epoch recorded");
        double Column(string[] row, string name) => double.Parse(row[Array.IndexOf(header, name)], CultureInfo.InvariantCulture);
        double seconds = epochs.Sum(r => Column(r, "seconds"));
        int iterations = (int)Column(epochs[^1], "iterations");
        var json = new JsonObject
        {
            ["run"] = folder,
            ["config"] = config.DeepClone(),
            ["epochs"] = epochs.Length,
            ["iterations_per_epoch"] = iterations,
            ["train_seconds"] = seconds,
            ["seconds_per_iteration"] = seconds / (epochs.Length * iterations),
            ["last_epoch_reconstruction_mse_train"] = Column(epochs[^1], "reconstruction_mse"),
            ["sample_quality"] = quality.DeepClone(),
        };
        return new Run(folder, config, quality, epochs.Length, iterations, seconds, seconds / (epochs.Length * iterations), json);
    }

    private static JsonObject ReadJson(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing", path);
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new IOException($"{path}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new IOException($"{path}: unreadable ({e.Message})", e);
        }
    }

    private static string Number(JsonNode? node, string format) =>
        node is JsonValue v && v.TryGetValue(out double d) ? d.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string Kid(JsonNode? mean, JsonNode? std) =>
        mean is JsonValue m && m.TryGetValue(out double mv)
            ? (std is JsonValue s && s.TryGetValue(out double sv) ? $"{mv:F4} ± {sv:F4}" : $"{mv:F4}")
            : "-";

    private static string? Text(JsonObject o, string name) => o[name]?.ToString();

    private static string Shape(JsonNode? node) => node is JsonArray a ? string.Join("x", a.Select(x => x?.ToString())) : "?";
}
