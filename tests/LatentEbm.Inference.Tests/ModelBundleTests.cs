using System.Text.Json;
using System.Text.Json.Nodes;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Text;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Inference.Tests;

/// <summary>The shipped default bundle opens; damaged copies of it fail with typed errors naming the file.</summary>
public class ModelBundleTests
{
    private static string DefaultBundle => Path.Combine(TestPaths.RepositoryRoot, "models", "mnist-digit4");

    private static string CopyOfDefaultBundle()
    {
        string copy = Path.Combine(TestPaths.NewTempFolder(), "mnist-digit4");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(DefaultBundle)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        return copy;
    }

    [Fact]
    public void EveryShippedBundleOfAnEarlierSchemaStillOpensWithoutAnEncoder()
    {
        // The feature classifiers (mnist-classifier, cifar10-classifier) are not bundles: no manifest.json.
        // amortised-digit4 (schema 3, with an encoder) is the one shipped bundle of the current schema.
        // ptb-text (schema 4) is the shipped text bundle, opened by the text library (TheShippedTextBundleOpensAndAnswers).
        var bundles = Directory.GetDirectories(Path.Combine(TestPaths.RepositoryRoot, "models")).Where(f => File.Exists(Path.Combine(f, ModelBundle.ManifestFile)))
            .Where(f => TextBundle.ObservationKind(JsonDocument.Parse(File.ReadAllText(Path.Combine(f, ModelBundle.ManifestFile))).RootElement) == "image").ToList();
        Assert.Equal(8, bundles.Count);
        using (var amortised = ModelBundle.Open(bundles.Single(f => Path.GetFileName(f) == "amortised-digit4")))
        {
            Assert.True(amortised.Manifest.Model.HasEncoder);
            Assert.Equal(BundleRoles.All.Order(), amortised.Manifest.Files.Select(f => f.Role).Order());
        }
        foreach (var folder in bundles.Where(f => Path.GetFileName(f) != "amortised-digit4"))
        {
            using var bundle = ModelBundle.Open(folder);
            Assert.InRange(bundle.Manifest.SchemaVersion, 1, 2);
            Assert.False(bundle.Manifest.Model.HasEncoder, folder);
            Assert.Equal("noise", bundle.Manifest.Model.PosteriorStart);
            Assert.Null(bundle.Manifest.Score.EncoderSteps);
            Assert.False(bundle.Has(BundleRoles.Encoder) || bundle.Has(BundleRoles.AmortisedPosterior), folder);
            Assert.Equal(BundleRoles.Required.Order(), bundle.Manifest.Files.Select(f => f.Role).Order());
        }
    }

    [Fact]
    public void TheShippedTextBundleOpensAndAnswers()
    {
        string folder = Path.Combine(TestPaths.RepositoryRoot, "models", "ptb-text");
        Assert.Throws<BundleException>(() => ModelBundle.Open(folder)); // the image library refuses it by kind
        using var model = TextLatentEbmInference.Open(folder); // every file's SHA-256 checked
        Assert.Equal(TextBundleManifest.SchemaVersionText, model.Manifest.SchemaVersion);
        Assert.Equal("text", model.Manifest.Observation.Kind);
        Assert.Equal(40, model.MaxWords);
        Assert.Equal(7953, model.Vocabulary.Count); // the 6,778-sentence PTB training head's words and the four specials
        var samples = model.Sample(3, seed: 1);
        Assert.All(samples, s => Assert.InRange(s.Words.Length, 0, 40));
        Assert.Equal(samples.Select(s => s.Text), model.Sample(3, seed: 1).Select(s => s.Text));
        var scores = model.Score(["the company said it expects sales to rise", "the company said it expects sales to rise zzzz"], seed: 1);
        Assert.All(scores, s => Assert.True(float.IsFinite(s)));
        Assert.Equal(TextVocabulary.UnknownId, model.Vocabulary.Id("zzzz"));
    }

    [Fact]
    public void TheDefaultBundleOpensAndDecodesAtAnyBatchSize()
    {
        using var bundle = ModelBundle.Open(DefaultBundle);
        Assert.Equal(4, bundle.Manifest.Training.HoldoutDigit);
        Assert.Equal(16, bundle.Manifest.Model.Nz);
        Assert.True(bundle.Manifest.Metrics["pr_auc"].GetDouble() > bundle.Manifest.Metrics["prevalence"].GetDouble(), "the default bundle ranks anomalies better than chance");
        Assert.StartsWith("latent-ebm evaluate anomaly --bundle models/mnist-digit4", bundle.Manifest.Metrics["measured_by"].GetString());
        var x = bundle.Run(BundleRoles.Decoder, ("z", new float[5 * 16], [5, 16]))["x"];
        Assert.Equal([5, 1, 28, 28], x.Dims);
        Assert.All(x.Data, v => Assert.InRange(v, -1f, 1f));
        // The noiseless posterior chain moves z toward a better reconstruction of the decoded image.
        var target = bundle.Run(BundleRoles.Decoder, ("z", [.. Enumerable.Range(0, 16).Select(i => (float)Math.Sin(i))], [1, 16]))["x"];
        int k = bundle.File(BundleRoles.PosteriorLangevin).Steps!.Value;
        var z = bundle.Run(BundleRoles.PosteriorLangevin, ("x", target.Data, [1, 1, 28, 28]), ("z", new float[16], [1, 16]),
            ("noise", new float[k * 16], [k, 1, 16]), ("step_size", [0.1f], []))["z_out"];
        float Score(float[] zs) => bundle.Run(BundleRoles.AnomalyScore, ("x", target.Data, [1, 1, 28, 28]), ("z", zs, [1, 16]))["score"].Data[0];
        Assert.True(Score(z.Data) < Score(new float[16]), "the posterior chain lowers the anomaly score (raises the log joint)");
    }

    private static void EditManifest(string bundle, Action<JsonObject> edit)
    {
        string path = Path.Combine(bundle, ModelBundle.ManifestFile);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    private static JsonObject FileEntry(JsonObject manifest, string role) =>
        manifest["files"]!.AsArray().Select(f => f!.AsObject()).First(f => (string)f["role"]! == role);

    private static string Sha(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));

    [Theory]
    [InlineData("missing file")]
    [InlineData("sha mismatch")]
    [InlineData("unknown schema")]
    [InlineData("truncated protobuf")]
    [InlineData("wrong signature")]
    [InlineData("missing manifest")]
    [InlineData("damaged weights")]
    [InlineData("null model")]
    [InlineData("bad step size")]
    [InlineData("unknown posterior start")]
    [InlineData("encoder without its graphs")]
    [InlineData("encoder without its steps")]
    public void ACorruptBundleIsATypedErrorNamingTheFile(string damage)
    {
        string bundle = CopyOfDefaultBundle();
        string decoder = Path.Combine(bundle, "decoder.onnx"), manifest = Path.Combine(bundle, ModelBundle.ManifestFile);
        string expectedPath = decoder, expectedText;
        switch (damage)
        {
            case "missing file":
                File.Delete(decoder);
                expectedText = "missing";
                break;
            case "sha mismatch":
                var bytes = File.ReadAllBytes(decoder);
                bytes[bytes.Length / 2] ^= 0x55;
                File.WriteAllBytes(decoder, bytes);
                expectedText = "SHA-256 mismatch";
                break;
            case "unknown schema":
                EditManifest(bundle, m => m["schema_version"] = 99);
                (expectedPath, expectedText) = (manifest, "schema version 99");
                break;
            case "truncated protobuf":
                File.WriteAllBytes(decoder, File.ReadAllBytes(decoder)[..1000]);
                EditManifest(bundle, m => FileEntry(m, BundleRoles.Decoder)["sha256"] = Sha(decoder));
                expectedText = "not a loadable ONNX model";
                break;
            case "wrong signature":
                File.Copy(Path.Combine(bundle, "prior_energy.onnx"), decoder, overwrite: true);
                EditManifest(bundle, m => FileEntry(m, BundleRoles.Decoder)["sha256"] = Sha(decoder));
                expectedText = "no output 'x'";
                break;
            case "null model":
                EditManifest(bundle, m => m["model"] = null);
                (expectedPath, expectedText) = (manifest, "model, training, score and files are all required");
                break;
            case "bad step size":
                EditManifest(bundle, m => m["score"]!["step_size"] = 0);
                (expectedPath, expectedText) = (manifest, "score.step_size 0 must lie in (0, 1]");
                break;
            case "unknown posterior start":
                EditManifest(bundle, m => m["model"]!["posterior_start"] = "prior");
                (expectedPath, expectedText) = (manifest, "model.posterior_start 'prior' must be noise or encoder");
                break;
            case "encoder without its graphs":
                EditManifest(bundle, m => { m["model"]!["posterior_start"] = "encoder"; m["score"]!["encoder_steps"] = 5; });
                (expectedPath, expectedText) = (manifest, "no file for role encoder");
                break;
            case "encoder without its steps":
                EditManifest(bundle, m => m["model"]!["posterior_start"] = "encoder");
                (expectedPath, expectedText) = (manifest, "score.encoder_steps must be 0 or more when model.posterior_start is encoder");
                break;
            case "damaged weights":
                string weights = Path.Combine(bundle, "weights.bin");
                var w = File.ReadAllBytes(weights);
                w[^7] ^= 0x01;
                File.WriteAllBytes(weights, w);
                (expectedPath, expectedText) = (weights, "SHA-256 mismatch");
                break;
            default:
                File.Delete(manifest);
                (expectedPath, expectedText) = (manifest, "missing");
                break;
        }
        var error = Assert.Throws<BundleException>(() => ModelBundle.Open(bundle));
        Assert.Equal(expectedPath, error.FilePath);
        Assert.Contains(expectedText, error.Message);
    }

}
