using LatentEbm.Inference.Bundles;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Checkpoints;
using LatentEbm.Training.Export;
using LatentEbm.Training.Runs;

namespace LatentEbm.Training.Tests;

/// <summary>Export of a real (tiny) run into a bundle, its verification, and the loader's typed errors.</summary>
public class BundleTests
{
    public BundleTests() => TorchTestSetup.Init();

    private static Lazy<string> Run => SmallRuns.TinyDigit4Run;

    private static string ExportFresh(ChainForm form = ChainForm.Loop)
    {
        string bundle = Path.Combine(TestPaths.NewTempFolder(), "tiny");
        BundleExporter.Export(Run.Value, bundle, form, [1, 7, 256]);
        return bundle;
    }

    [Fact]
    public void ExportingACheckpointWithGarbageWeightsNamesTheFileInsteadOfANativeError()
    {
        string run = TestPaths.NewTempFolder();
        foreach (var file in Directory.GetFiles(Run.Value, "*", SearchOption.AllDirectories))
        {
            string copy = Path.Combine(run, Path.GetRelativePath(Run.Value, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
        string checkpoint = new CheckpointStore(run).Latest()!;
        string weights = Path.Combine(checkpoint, "prior.weights");
        var garbage = new byte[new FileInfo(weights).Length];
        new Random(5).NextBytes(garbage);
        File.WriteAllBytes(weights, garbage);
        // The manifest's checksum is made to match: only the contents are wrong.
        string manifestPath = Path.Combine(checkpoint, "checkpoint.json");
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifestPath))!;
        manifest["sha256"]!["prior.weights"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(garbage));
        File.WriteAllText(manifestPath, manifest.ToJsonString());

        string bundle = Path.Combine(TestPaths.NewTempFolder(), "tiny");
        var error = Assert.Throws<CheckpointException>(() => BundleExporter.Export(run, bundle, ChainForm.Loop, [1]));
        Assert.Equal(weights, error.FilePath);
        Assert.Contains("cannot be loaded into the prior network", error.Message);
        Assert.False(Directory.Exists(bundle));
    }

    [Theory]
    [InlineData(ChainForm.Loop)]
    [InlineData(ChainForm.Unrolled)]
    public void AnExportedBundleVerifiesAndOpensWithEveryRole(ChainForm form)
    {
        string bundle = Path.Combine(TestPaths.NewTempFolder(), "tiny");
        var result = BundleExporter.Export(Run.Value, bundle, form, [1, 7, 256]);
        Assert.All(result.Checks, c => Assert.True(c.RelativeError <= c.Tolerance, $"{c.Graph} {c.Quantity} {c.Batch}: {c.RelativeError:E2}"));
        Assert.Contains(result.Checks, c => c.Graph == BundleRoles.PriorLangevin && c.Quantity.StartsWith("z after one step vs float64", StringComparison.Ordinal) && c.Batch == 256);
        using var opened = ModelBundle.Open(bundle);
        Assert.Equal(BundleRoles.Required.Order(), opened.Manifest.Files.Select(f => f.Role).Order());
        Assert.Equal(5, opened.File(BundleRoles.PriorLangevin).Steps);
        // Weights are stored once, outside the graphs: the bundle is about one copy of the parameters.
        Assert.True(result.Bytes < 1.3 * opened.Manifest.Weights!.Bytes + 64_000, $"{result.Bytes} bytes for {opened.Manifest.Weights.Bytes} bytes of weights");
        Assert.Equal(6, opened.File(BundleRoles.PosteriorLangevin).Steps);
        Assert.Equal(4, opened.Manifest.Training.HoldoutDigit);
        Assert.Equal(BundleManifest.CurrentSchemaVersion, opened.Manifest.SchemaVersion);
        // The model card travels inside every ONNX file.
        var card = opened.Session(BundleRoles.Decoder).ModelMetadata.CustomMetadataMap;
        Assert.Equal("decoder", card["role"]);
        Assert.Equal("4", card["nz"]);
        // A run of the decoder at a batch size never verified: shapes follow B.
        var x = opened.Run(BundleRoles.Decoder, ("z", new float[3 * 4], [3, 4]))["x"];
        Assert.Equal([3, 1, 28, 28], x.Dims);
    }

    [Fact]
    public void EveryBundleFilePassesTheReferenceOnnxChecker()
    {
        // Debian's python3-onnx (apt-get install python3-onnx); .ci/run installs it.
        if (!Python("import onnx").Ok) return;
        string bundle = ExportFresh();
        // A bundle with an encoder adds the encoder and amortised_posterior graphs.
        string[] files = [.. Directory.GetFiles(bundle, "*.onnx"), .. Directory.GetFiles(TinyAmortisedBundle.Bundle, "*.onnx")];
        Assert.Equal(14, files.Length);
        var (ok, output) = Python("import onnx, sys\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\nprint('checked', len(sys.argv) - 1)", files);
        Assert.True(ok, output);
        Assert.Contains("checked 14", output);
    }

    private static (bool Ok, string Output) Python(string code, params string[] args)
    {
        if (!File.Exists("/usr/bin/python3")) return (false, "no /usr/bin/python3");
        // -P: never import from the working folder (from the repository root, its onnx/ folder would shadow the package).
        var (exit, output) = ProcessRunner.Run("/usr/bin/python3", ["-P", "-c", code, .. args]);
        return (exit == 0, output);
    }

    private static string Sha(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void ExportNeverReplacesAFolderThatIsNotABundle()
    {
        string folder = TestPaths.NewTempFolder();
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "keep me");
        var error = Assert.Throws<BundleException>(() => BundleExporter.Export(Run.Value, folder, ChainForm.Loop, [1]));
        Assert.Contains("not a model bundle", error.Message);
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(folder, "notes.txt")));
        error = Assert.Throws<BundleException>(() => BundleExporter.Export(Run.Value, Run.Value, ChainForm.Loop, [1]));
        Assert.Contains("holds the run", error.Message);
        Assert.True(File.Exists(Path.Combine(Run.Value, "config.json")));
    }

    [Fact]
    public void AFailedExportLeavesTheEarlierBundleAsItWas()
    {
        string bundle = ExportFresh();
        var before = Directory.GetFiles(bundle).ToDictionary(f => Path.GetFileName(f), Sha);

        // A run whose newest checkpoint is damaged cannot be exported...
        string broken = TestPaths.NewTempFolder();
        foreach (var file in Directory.GetFiles(Run.Value)) File.Copy(file, Path.Combine(broken, Path.GetFileName(file)));
        string checkpoint = new CheckpointStore(Run.Value).Latest()!;
        string copy = Path.Combine(broken, "checkpoints", Path.GetFileName(checkpoint));
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(checkpoint)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(copy, "prior.weights"), "damaged");
        Assert.Throws<CheckpointException>(() => BundleExporter.Export(broken, bundle, ChainForm.Loop, [1]));

        // ...and the bundle already at the destination is untouched, with no temporary folder left.
        Assert.Equal(before, Directory.GetFiles(bundle).ToDictionary(f => Path.GetFileName(f), Sha));
        Assert.Single(Directory.GetDirectories(Path.GetDirectoryName(bundle)!));
        using var opened = ModelBundle.Open(bundle);
    }
}
