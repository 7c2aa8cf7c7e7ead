using LatentEbm.Inference;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Runtime;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Export;
using LatentEbm.Training.Runs;
using Microsoft.ML.OnnxRuntime;

namespace LatentEbm.Training.Tests;

/// <summary>Export with every graph self-contained (<see cref="WeightStorage.Embedded"/>) against the default shared weights.bin.</summary>
public class EmbeddedWeightsTests
{
    public EmbeddedWeightsTests() => TorchTestSetup.Init();

    private static Lazy<string> Run => SmallRuns.TinyDigit4Run;

    [Fact]
    public void AnEmbeddedBundleIsSelfContainedVerifiedTheSameWayAndComputesAsTheExternalOne()
    {
        string root = TestPaths.NewTempFolder();
        var external = BundleExporter.Export(Run.Value, Path.Combine(root, "external"), ChainForm.Loop, [1, 7], WeightStorage.External);
        var embedded = BundleExporter.Export(Run.Value, Path.Combine(root, "embedded"), ChainForm.Loop, [1, 7], WeightStorage.Embedded);

        // No weights file, and no graph points outside itself.
        Assert.Null(embedded.Manifest.Weights);
        Assert.Equal(BundleRoles.Required.Select(r => r + ".onnx").Append("manifest.json").Order(), Directory.GetFiles(embedded.Folder).Select(Path.GetFileName).Order());
        foreach (var file in Directory.GetFiles(embedded.Folder, "*.onnx"))
        {
            var model = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(file));
            Assert.DoesNotContain(model.Graph.Initializer, t => t.DataLocation == global::Onnx.TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0);
        }
        // Each graph holds its own copy of the weights it uses: larger than the shared file, never smaller.
        Assert.True(embedded.Bytes > external.Manifest.Weights!.Bytes, $"{embedded.Bytes} bytes against {external.Manifest.Weights.Bytes} bytes of shared weights");

        // Verified by the same checks, recorded in the manifest.
        Assert.Equal(external.Checks.Select(c => (c.Graph, c.Quantity, c.Batch)), embedded.Checks.Select(c => (c.Graph, c.Quantity, c.Batch)));
        Assert.All(embedded.Checks, c => Assert.True(c.RelativeError <= c.Tolerance, $"{c.Graph} {c.Quantity} {c.Batch}: {c.RelativeError:E2}"));
        using (var opened = ModelBundle.Open(embedded.Folder))
            Assert.Equal(embedded.Checks.Count, opened.Manifest.Verification!.Checks.Length);

        // Any one graph loads alone, from its bytes; an external-weights graph does not.
        foreach (var role in BundleRoles.Required)
            using (OrtGraph.Load(File.ReadAllBytes(Path.Combine(embedded.Folder, role + ".onnx")))) { }
        Assert.ThrowsAny<OnnxRuntimeException>(() => OrtGraph.Load(File.ReadAllBytes(Path.Combine(external.Folder, BundleRoles.Decoder + ".onnx"))));

        // The same checkpoint's weights, stored the other way: the same numbers.
        using var a = LatentEbmInference.Open(external.Folder);
        using var b = LatentEbmInference.Open(embedded.Folder);
        var images = SmallRuns.Mnist(3).Pixels;
        Assert.Equal(a.Score(images, 3, seed: 2), b.Score(images, 3, seed: 2));
        Assert.Equal(a.InferLatents(images, 3, seed: 2), b.InferLatents(images, 3, seed: 2));
        Assert.Equal(a.SamplePrior(4, seed: 1).Images, b.SamplePrior(4, seed: 1).Images);
    }

    [Fact]
    public void AnUnknownWeightStorageIsRefusedBeforeAnythingIsWritten()
    {
        string bundle = Path.Combine(TestPaths.NewTempFolder(), "tiny");
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => BundleExporter.Export(Run.Value, bundle, ChainForm.Loop, [1], (WeightStorage)7));
        Assert.Contains("external or embedded", error.Message);
        Assert.False(Directory.Exists(bundle));
    }
}
