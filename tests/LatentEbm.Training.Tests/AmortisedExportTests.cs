using System.Text.Json.Nodes;
using LatentEbm.Data.Datasets;
using LatentEbm.Inference.Bundles;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Checkpoints;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Export;
using LatentEbm.Training.Model;
using LatentEbm.Training.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>
/// Export of a run with an encoder (PAPER.md, "Amortised posterior"): the encoder and amortised_posterior graphs against
/// TorchSharp in float64 on real MNIST test images, the manifest's record of them and of the verifier's checks, K = 0, and
/// a run without an encoder (the six graphs, as before).
/// </summary>
public class AmortisedExportTests
{
    public AmortisedExportTests() => TorchTestSetup.Init();

    internal static readonly Lazy<LabeledImages> Test = new(() => ImageDatasets.LoadSplit(TestPaths.Mnist, train: false));

    /// <summary>Real test images (every digit, 4 included), [count, 1, 28, 28] on [-1, 1].</summary>
    internal static float[] Images(int count) => Test.Value.Pixels.AsSpan(0, count * 784).ToArray();

    /// <summary>The run's networks from its newest checkpoint, in float32 or float64.</summary>
    internal static (LatentEbmModel Model, TrainingConfig Config, IDisposable Scope) Load(ScalarType type)
    {
        string checkpoint = new CheckpointStore(TinyAmortisedBundle.Run).Latest()!;
        var config = CheckpointStore.ReadManifest(checkpoint).Config;
        var (prior, generator, model) = ModelFactory.Create(config, CPU);
        CheckpointStore.RestoreNetworks(checkpoint, prior, generator, model.Encoder);
        foreach (var m in new nn.Module[] { prior, generator, model.Encoder! }) { m.to(type); m.eval(); }
        return (model, config, new Disposer(prior, generator, model.Encoder!));
    }

    private sealed class Disposer(params IDisposable[] items) : IDisposable
    {
        public void Dispose() { foreach (var i in items) i.Dispose(); }
    }

    internal static double RelativeError(float[] actual, Tensor expected)
    {
        double[] e = expected.to(float64).contiguous().data<double>().ToArray();
        Assert.Equal(e.Length, actual.Length);
        double scale = Math.Max(1e-30, e.Max(Math.Abs)), worst = 0;
        for (int i = 0; i < e.Length; i++) worst = Math.Max(worst, Math.Abs(actual[i] - e[i]) / scale);
        return worst;
    }

    [Fact]
    public void TheBundleCarriesTheEncoderAndTheAmortisedChainAndTheManifestSaysSo()
    {
        using var bundle = ModelBundle.Open(TinyAmortisedBundle.Bundle);
        var manifest = bundle.Manifest;
        Assert.Equal(3, manifest.SchemaVersion);
        Assert.Equal(BundleRoles.All.Order(), manifest.Files.Select(f => f.Role).Order());
        Assert.True(manifest.Model.HasEncoder);
        Assert.Equal("encoder", manifest.Model.PosteriorStart);
        Assert.StartsWith("Flatten", manifest.Model.EncoderLayers);
        Assert.Equal(TinyAmortisedBundle.EncoderSteps, manifest.Score.EncoderSteps);
        Assert.Equal(TinyAmortisedBundle.EncoderSteps, bundle.File(BundleRoles.AmortisedPosterior).Steps);
        Assert.Equal(TinyAmortisedBundle.NoiseSteps, bundle.File(BundleRoles.PosteriorLangevin).Steps);
        Assert.Null(bundle.File(BundleRoles.Encoder).Steps);
        Assert.Equal(["x"], bundle.File(BundleRoles.Encoder).Inputs.Select(i => i.Name));
        Assert.Equal(["mu [B, 4]", "log_var [B, 4]"], bundle.File(BundleRoles.Encoder).Outputs.Select(o => o.ToString()));
        Assert.Equal(["x [B, 1, 28, 28]", "noise [3, B, 4]", "step_size []"], bundle.File(BundleRoles.AmortisedPosterior).Inputs.Select(i => i.ToString()));
        Assert.Equal("encoder", bundle.Session(BundleRoles.AmortisedPosterior).ModelMetadata.CustomMetadataMap["posterior_start"]);

        // The verifier checked both graphs at every batch size, each within its bound.
        var checks = manifest.Verification!.Checks;
        Assert.Equal(BundleVerifier.Version, manifest.Verification.VerifierVersion);
        Assert.All(checks, c => Assert.True(c.RelativeError <= c.Tolerance, $"{c.Graph} {c.Quantity} {c.Batch}: {c.RelativeError:E2}"));
        foreach (int b in new[] { 1, 7 })
        {
            Assert.Contains(checks, c => c.Graph == BundleRoles.Encoder && c.Quantity == "mu vs float64" && c.Batch == b && c.Tolerance == BundleVerifier.SingleTolerance);
            Assert.Contains(checks, c => c.Graph == BundleRoles.Encoder && c.Quantity == "log_var vs float64" && c.Batch == b);
            Assert.Contains(checks, c => c.Graph == BundleRoles.AmortisedPosterior && c.Quantity.StartsWith("z after one step vs float64", StringComparison.Ordinal) && c.Batch == b);
            Assert.Contains(checks, c => c.Graph == BundleRoles.AmortisedPosterior && c.Quantity.StartsWith("z after 3 steps vs float64", StringComparison.Ordinal) && c.Batch == b);
            Assert.Contains(checks, c => c.Graph == BundleRoles.AmortisedPosterior && c.Quantity.Contains($"at step size {BundleVerifier.SmallStepSize}") && c.Batch == b);
        }
    }

    [Fact]
    public void TheEncoderGraphMatchesTorchSharpInFloat64OnRealImages()
    {
        const int n = 64;
        var pixels = Images(n);
        using var bundle = ModelBundle.Open(TinyAmortisedBundle.Bundle);
        var (model64, _, scope) = Load(float64);
        using var _ = scope;
        using var x = tensor(pixels, [n, 1, 28, 28]).to(float64);
        var onnx = bundle.Run(BundleRoles.Encoder, ("x", pixels, [n, 1, 28, 28]));
        Assert.Equal([n, 4], onnx["mu"].Dims);
        using (no_grad())
        {
            var (mu, logVariance) = model64.Encoder!.Gaussian(x);
            Assert.InRange(RelativeError(onnx["mu"].Data, mu), 0, 1e-5);
            Assert.InRange(RelativeError(onnx["log_var"].Data, logVariance), 0, 1e-5);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheAmortisedPosteriorGraphIsTheEncodersMeanThenKStepsAsFloat64(bool noisy)
    {
        const int n = 32, k = TinyAmortisedBundle.EncoderSteps;
        var pixels = Images(n);
        using var bundle = ModelBundle.Open(TinyAmortisedBundle.Bundle);
        var (model64, config, scope) = Load(float64);
        using var _ = scope;
        using var x = tensor(pixels, [n, 1, 28, 28]).to(float64);
        using var generator = new torch.Generator(5);
        using var noise = noisy ? randn([k, n, 4], generator: generator, dtype: float64) : zeros([k, n, 4], float64);
        // A small step size keeps the three steps far from chaotic, so every row is held to the bound.
        foreach (double s in new[] { config.Score.StepSize, 0.01 })
        {
            using var mu = model64.Encoder!.Mean(x);
            using var expected = LangevinSampler.PosteriorChain(model64, x, mu, k, s, new ScriptedNoise(noise));
            var z = bundle.Run(BundleRoles.AmortisedPosterior, ("x", pixels, [n, 1, 28, 28]),
                ("noise", noise.to(float32).contiguous().data<float>().ToArray(), [k, n, 4]), ("step_size", [(float)s], []))["z_out"];
            Assert.Equal([n, 4], z.Dims);
            Assert.InRange(RelativeError(z.Data, expected), 0, 1e-4);
            if (s > 0.01) Assert.True(RelativeError(z.Data, mu) > 1e-3, "the chain moved away from mu(x)");
        }
    }

    [Fact]
    public void ZeroRefinementStepsExportAChainThatIsTheEncodersMean()
    {
        // The run's checkpoint with score.encoder_steps 0 (mu(x) alone at test time); the export verifies it against float64 mu.
        string run = TestPaths.NewTempFolder();
        foreach (var file in Directory.GetFiles(TinyAmortisedBundle.Run, "*", SearchOption.AllDirectories))
        {
            string copy = Path.Combine(run, Path.GetRelativePath(TinyAmortisedBundle.Run, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
        string manifestPath = Path.Combine(new CheckpointStore(run).Latest()!, "checkpoint.json");
        var json = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        json["config"]!["score"]!["encoder_steps"] = 0;
        File.WriteAllText(manifestPath, json.ToJsonString());

        string folder = Path.Combine(TestPaths.NewTempFolder(), "k0");
        var result = BundleExporter.Export(run, folder, ChainForm.Unrolled, [1, 5]);
        Assert.Contains(result.Checks, c => c.Graph == BundleRoles.AmortisedPosterior && c.Quantity == "z after 0 steps (mu) vs float64" && c.Batch == 5);
        using var bundle = ModelBundle.Open(folder);
        Assert.Equal(0, bundle.Manifest.Score.EncoderSteps);
        Assert.Equal(0, bundle.File(BundleRoles.AmortisedPosterior).Steps);
        var pixels = Images(5);
        var mu = bundle.Run(BundleRoles.Encoder, ("x", pixels, [5, 1, 28, 28]))["mu"].Data;
        var z = bundle.Run(BundleRoles.AmortisedPosterior, ("x", pixels, [5, 1, 28, 28]), ("noise", [], [0, 5, 4]), ("step_size", [0.1f], []))["z_out"].Data;
        AssertClose(mu, z);
    }

    internal static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1e-6, expected.Max(v => Math.Abs(v)));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * scale, $"index {i}: {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public void ARunWithoutAnEncoderExportsTheSixGraphsAndNoEncoderSettings()
    {
        string folder = Path.Combine(TestPaths.NewTempFolder(), "plain");
        BundleExporter.Export(SmallRuns.TinyDigit4Run.Value, folder, ChainForm.Loop, [1]);
        using var bundle = ModelBundle.Open(folder);
        Assert.False(bundle.Manifest.Model.HasEncoder);
        Assert.False(bundle.Has(BundleRoles.Encoder));
        Assert.Equal("noise", bundle.Manifest.Model.PosteriorStart);
        Assert.Null(bundle.Manifest.Model.EncoderLayers);
        Assert.Null(bundle.Manifest.Score.EncoderSteps);
        Assert.Equal(BundleRoles.Required.Order(), bundle.Manifest.Files.Select(f => f.Role).Order());
        Assert.DoesNotContain(bundle.Manifest.Verification!.Checks, c => BundleRoles.Amortised.Contains(c.Graph));
    }
}
