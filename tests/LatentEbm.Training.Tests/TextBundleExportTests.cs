using System.Security.Cryptography;
using System.Text.Json;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Runtime;
using LatentEbm.Inference.Text;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Export;
using LatentEbm.Training.Text;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>
/// The text bundle export (TextBundleExporter, TextBundleVerifier) of the fixture model of text_cases.json: the manifest, the
/// ONNX roles against the PyTorch float64 references of text_onnx_cases.json, the verifier's refusal of wrong graphs and the
/// loader's refusal of damaged files.
/// </summary>
public class TextBundleExportTests(ITestOutputHelper output)
{
    private static JsonElement Onnx => TinyTextBundle.OnnxCases;

    [Fact]
    public void TheExportIsVerifiedAndItsManifestDescribesTheTextModel()
    {
        var result = TinyTextBundle.Export;
        var m = TextBundle.ReadManifest(result.Folder);
        Assert.Equal(4, m.SchemaVersion);
        Assert.Equal("text", m.Observation.Kind);
        Assert.Equal(TinyTextBundle.MaxWords, m.Observation.MaxWords);
        Assert.Equal(new Dictionary<string, int> { ["<pad>"] = 0, ["<unk>"] = 1, ["<s>"] = 2, ["</s>"] = 3 }, m.Observation.SpecialTokens);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(result.Folder, "vocabulary.txt")))), m.Observation.VocabularySha256);
        Assert.Equal((11, 3, 4, 5, 1.5), (m.Model.VocabularySize, m.Model.Nz, m.Model.EmbeddingSize, m.Model.HiddenSize, m.Model.Sigma0));
        Assert.Equal("Linear(3, 6) → LeakyReLU(0.2) → Linear(6, 6) → LeakyReLU(0.2) → Linear(6, 1)", m.Model.PriorLayers);
        Assert.Equal(OracleFloats(Onnx.GetProperty("posterior_chain").GetProperty("step_sizes")), m.Model.PosteriorStepSizes, (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal((4, 0.5, false), (m.Model.PriorSteps, m.Model.PriorStepSize, m.Model.GaussianPrior));
        Assert.Equal(TextBundleRoles.All, m.Files.Select(f => f.Role));
        Assert.Equal([TinyTextBundle.MaxWords + 1, TinyTextBundle.MaxWords + 1, 3, 4],
            [m.Files.Single(f => f.Role == "greedy_decode").Steps!.Value, m.Files.Single(f => f.Role == "sample_decode").Steps!.Value,
             m.Files.Single(f => f.Role == "posterior_langevin").Steps!.Value, m.Files.Single(f => f.Role == "prior_langevin").Steps!.Value]);
        Assert.NotNull(m.Verification);
        Assert.Equal(TextBundleVerifier.Version, m.Verification!.VerifierVersion);
        Assert.All(m.Verification.Checks, c => Assert.True(c.RelativeError <= c.Tolerance, $"{c.Graph} {c.Quantity}: {c.RelativeError:E2} > {c.Tolerance:E0}"));
        foreach (var role in TextBundleRoles.All) Assert.Contains(m.Verification.Checks, c => c.Graph == role);
        foreach (var c in m.Verification.Checks) output.WriteLine($"{c.Graph,-26} {c.Quantity,-100} B={c.Batch} {c.RelativeError:E2} / {c.Tolerance:E0}");
        Assert.Equal(Directory.GetFiles(result.Folder).Sum(f => new FileInfo(f).Length), result.Bytes);
        Assert.Equal([result.Folder], Directory.GetFileSystemEntries(Path.GetDirectoryName(result.Folder)!)); // no temporary folder left beside it
    }

    [Fact]
    public void TheRolesReproducePyTorchFloat64()
    {
        using var bundle = TextBundle.Open(TinyTextBundle.Bundle);
        foreach (var c in Onnx.GetProperty("likelihood").EnumerateArray())
        {
            var (z, zDims) = (Floats(c.GetProperty("z")), Dims(c.GetProperty("z")));
            var (tokens, tDims) = (Longs(c.GetProperty("tokens")), Dims(c.GetProperty("tokens")));
            var ll = Run(bundle, TextBundleRoles.LogLikelihood, [("z", z, zDims)], tokens, tDims, "log_likelihood")[0];
            var both = Run(bundle, TextBundleRoles.LogLikelihoodGrad, [("z", z, zDims)], tokens, tDims, "log_likelihood", "grad_z");
            double e1 = RelativeError(ll, OracleFloats(c.GetProperty("log_likelihood"))), e2 = RelativeError(both[1], OracleFloats(c.GetProperty("grad_log_likelihood")));
            output.WriteLine($"log-likelihood {e1:E2}, grad_z {e2:E2}");
            Assert.True(e1 < 1e-5 && e2 < 1e-5, $"log-likelihood {e1:E2}, grad_z {e2:E2}");
        }
        // The posterior chain from the fixture's start and noise (its step sizes are the bundle's).
        var p = Onnx.GetProperty("posterior_chain");
        var chain = Run(bundle, TextBundleRoles.PosteriorLangevin, [("z", Floats(p.GetProperty("z0")), Dims(p.GetProperty("z0"))), ("noise", Floats(p.GetProperty("noise")), Dims(p.GetProperty("noise")))],
            Longs(p.GetProperty("tokens")), Dims(p.GetProperty("tokens")), "z_out")[0];
        double chainError = RelativeError(chain, OracleFloats(p.GetProperty("zK")));
        output.WriteLine($"posterior chain end {chainError:E2}");
        Assert.True(chainError < 1e-4, $"posterior chain end {chainError:E2}");

        // The score at text_cases.json's z: -(log p(x|z) + f - |z|^2 / (2 sigma0^2)) from its float64 log-likelihood and f.
        var model = TinyTextBundle.Case;
        double[] zz = OracleFloats(model.GetProperty("z")), llRef = OracleFloats(model.GetProperty("log_likelihood")), fRef = OracleFloats(model.GetProperty("f"));
        double sigma0 = model.GetProperty("sigma0").GetDouble();
        double[] expected = [.. Enumerable.Range(0, llRef.Length).Select(b => -(llRef[b] + fRef[b] - zz.Skip(3 * b).Take(3).Sum(v => v * v) / (2 * sigma0 * sigma0)))];
        long[] dims = Dims(model.GetProperty("tokens"));
        float[] score = Run(bundle, TextBundleRoles.AnomalyScore, [("z", [.. zz.Select(v => (float)v)], [llRef.Length, 3])], Longs(model.GetProperty("tokens")), dims, "score")[0];
        double scoreError = RelativeError(score, expected);
        output.WriteLine($"score {scoreError:E2}");
        Assert.True(scoreError < 1e-5, $"score {scoreError:E2}");
        // A wrong input (the rows' latents rotated) misses the reference by far: the check can fail.
        float[] rotated = [.. zz.Skip(3).Concat(zz.Take(3)).Select(v => (float)v)];
        double wrong = RelativeError(Run(bundle, TextBundleRoles.AnomalyScore, [("z", rotated, [llRef.Length, 3])], Longs(model.GetProperty("tokens")), dims, "score")[0], expected);
        Assert.True(wrong > 1e-2, $"rotated latents: score error {wrong:E2}");
    }

    [Fact]
    public void DecodingRolesReproducePyTorchFloat64Tokens()
    {
        using var bundle = TextBundle.Open(TinyTextBundle.DecodingBundle);
        var d = Onnx.GetProperty("decoding");
        Assert.Equal(TinyTextBundle.MaxWords + 1, d.GetProperty("max_length").GetInt32());
        var z = (Floats(d.GetProperty("z")), Dims(d.GetProperty("z")));
        long[] greedy = [.. Run(bundle, TextBundleRoles.GreedyDecode, [("z", z.Item1, z.Item2)], null, null, "tokens")[0].Select(v => (long)v)];
        Assert.Equal(Longs(d.GetProperty("greedy_tokens")), greedy);
        long[] sampled = [.. Run(bundle, TextBundleRoles.SampleDecode, [("z", z.Item1, z.Item2), ("uniform", Floats(d.GetProperty("uniform")), Dims(d.GetProperty("uniform"))),
            ("temperature", [(float)d.GetProperty("temperature").GetDouble()], [])], null, null, "tokens")[0].Select(v => (long)v)];
        Assert.Equal(Longs(d.GetProperty("sampled_tokens")), sampled);
        Assert.NotEqual(greedy, sampled); // the two references differ, so neither check passes by the other's answer
    }

    [Fact]
    public void AWrongGraphFailsVerificationAndLeavesNoBundle()
    {
        string parent = TestPaths.NewTempFolder(), destination = Path.Combine(parent, "wrong");
        // The score graph of a model whose sigma0 is doubled: -(ll + f - |z|^2 / (2 (2 sigma0)^2)).
        var model = TinyTextBundle.Model();
        var wrongSpec = new LatentEbm.Onnx.Graphs.TextDecoderSpec(11, 3, 4, 5,
            model.Decoder.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().data<float>().ToArray()), ModuleExporter.ToNetwork(model.Prior), 2 * model.Sigma0);
        var e = Assert.Throws<BundleVerificationException>(() => TextBundleExporter.Export(model, TinyTextBundle.Vocabulary(), TinyTextBundle.Settings, TinyTextBundle.MaxWords,
            TinyTextBundle.Training, destination, (role, graph) => role == TextBundleRoles.AnomalyScore ? LatentEbm.Onnx.Graphs.TextScoreGraph.AnomalyScore(wrongSpec) : graph));
        output.WriteLine(e.Message);
        Assert.Contains("anomaly_score", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(parent));
        // And a greedy decoder of another read-out bias decodes other words.
        var decodingModel = TinyTextBundle.Model(OracleFloats(Onnx.GetProperty("decoding").GetProperty("readout_bias")));
        var other = LatentEbm.Onnx.Graphs.TextGraphs.GreedyDecode(new LatentEbm.Onnx.Graphs.TextDecoderSpec(11, 3, 4, 5,
            decodingModel.Decoder.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().data<float>().ToArray()), ModuleExporter.ToNetwork(model.Prior), model.Sigma0), TinyTextBundle.MaxWords + 1);
        var g = Assert.Throws<BundleVerificationException>(() => TextBundleExporter.Export(model, TinyTextBundle.Vocabulary(), TinyTextBundle.Settings, TinyTextBundle.MaxWords,
            TinyTextBundle.Training, destination, (role, graph) => role == TextBundleRoles.GreedyDecode ? other : graph));
        output.WriteLine(g.Message);
        Assert.Contains("greedy_decode", g.Message);
        Assert.Empty(Directory.GetFileSystemEntries(parent));
    }

    [Theory]
    [InlineData("weights.bin")]
    [InlineData("vocabulary.txt")]
    [InlineData("posterior_langevin.onnx")]
    public void ADamagedFileIsRefusedByName(string file)
    {
        string copy = CopyBundle();
        var path = Path.Combine(copy, file);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length > 0) bytes[bytes.Length / 2] ^= 0x20;
        File.WriteAllBytes(path, bytes.Length > 0 ? bytes : [0]); // the tiny model's weights.bin is empty: every tensor is under 1 KiB
        var e = Assert.Throws<BundleException>(() => TextBundle.Open(copy));
        Assert.Equal(path, e.FilePath);
        Assert.Contains("SHA-256", e.Message);
        File.Delete(path);
        Assert.Contains("missing", Assert.Throws<BundleException>(() => TextBundle.Open(copy)).Message);
    }

    [Fact]
    public void EachKindOfBundleIsRefusedByTheOtherKindsLoader()
    {
        var text = Assert.Throws<BundleException>(() => ModelBundle.Open(TinyTextBundle.Bundle));
        Assert.Contains("text bundle", text.Message);
        var image = Assert.Throws<BundleException>(() => TextBundle.Open(TinyAmortisedBundle.Bundle));
        Assert.Contains("image bundle", image.Message);
        // A manifest without an observation (schema 1) reads as an image bundle.
        string copy = CopyBundle();
        string manifest = Path.Combine(copy, "manifest.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
        json.Remove("observation");
        File.WriteAllText(manifest, json.ToJsonString());
        Assert.Contains("image bundle", Assert.Throws<BundleException>(() => TextBundle.Open(copy)).Message);
    }

    [Fact]
    public void ARunFolderExportsItsChosenCheckpoint()
    {
        string root = TestPaths.NewTempFolder();
        File.WriteAllLines(Path.Combine(root, "train.txt"), PtbLines("ptb.train.head.txt", 24));
        File.WriteAllLines(Path.Combine(root, "valid.txt"), PtbLines("ptb.valid.txt", 8));
        var config = new TextRunConfig
        {
            Model = new TextTrainingSettings { Nz = 3, EmbeddingSize = 8, HiddenSize = 8, Dropout = 0.1, PriorHidden = [8], BatchSize = 8, PriorSteps = 3, PosteriorSteps = 3, Seed = 5 },
            Epochs = 2, TrainPath = Path.Combine(root, "train.txt"), ValidationPath = Path.Combine(root, "valid.txt"), MaxWords = 15, ValidationSentences = 8,
        };
        string run = Path.Combine(root, "run");
        using (var training = TextTrainingRun.Start(run, config)) training.TrainToEnd();
        var newest = TextBundleExporter.Export(run, Path.Combine(root, "newest"));
        Assert.Equal((2, "train.txt", 5, 15), (newest.Manifest.Training.Epochs, newest.Manifest.Training.TrainFile, newest.Manifest.Training.Seed, newest.Manifest.Observation.MaxWords));
        Assert.NotNull(newest.Manifest.Training.ValidationNllPerWord);
        Assert.True(newest.Manifest.Weights.Bytes > 0 && new FileInfo(Path.Combine(newest.Folder, "weights.bin")).Length == newest.Manifest.Weights.Bytes);
        Assert.Equal(File.ReadAllText(Path.Combine(run, "vocabulary.txt")), File.ReadAllText(Path.Combine(newest.Folder, "vocabulary.txt")));
        var first = TextBundleExporter.Export(run, Path.Combine(root, "first"), checkpointEpoch: 1);
        Assert.Equal(1, first.Manifest.Training.Epochs);
        Assert.NotEqual(newest.Manifest.Weights.Sha256, first.Manifest.Weights.Sha256);
        var missing = Assert.Throws<Runs.RunFolderException>(() => TextBundleExporter.Export(run, Path.Combine(root, "none"), checkpointEpoch: 7));
        Assert.Contains("epoch 7", missing.Message);
        Assert.False(Directory.Exists(Path.Combine(root, "none")));
    }

    private static IEnumerable<string> PtbLines(string file, int count) =>
        Data.Text.TextCorpus.Lines(Path.Combine(TestPaths.TextCorpora, file)).Where(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length is > 0 and <= 15).Take(count);

    internal static string CopyBundle()
    {
        string copy = Path.Combine(TestPaths.NewTempFolder(), "text-copy");
        Directory.CreateDirectory(copy);
        foreach (var f in Directory.GetFiles(TinyTextBundle.Bundle)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        return copy;
    }

    internal static List<float[]> Run(TextBundle bundle, string role, (string Name, float[] Data, long[] Dims)[] floats, long[]? tokens, long[]? tokenDims, params string[] outputs)
    {
        GraphInput[] inputs = [.. floats.Select(f => GraphInput.Float32(f.Name, f.Data, f.Dims)), .. tokens is null ? [] : new[] { GraphInput.Int64("tokens", tokens, tokenDims!) }];
        var results = bundle.Run(role, inputs, outputs);
        // int64 outputs (token ids) as floats, to compare alike.
        return [.. outputs.Select(o => results[o] is { ElementType: Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int64 } ids ? ids.Longs.Select(x => (float)x).ToArray() : results[o].Floats)];
    }

    internal static double RelativeError(float[] actual, double[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        return Enumerable.Range(0, actual.Length).Max(i => Math.Abs(actual[i] - expected[i])) / scale;
    }

    internal static double[] OracleFloats(JsonElement e) => TinyTextBundle.OracleFloats(e);

    internal static float[] Floats(JsonElement e) => [.. OracleFloats(e).Select(v => (float)v)];

    internal static long[] Longs(JsonElement e) => [.. OracleFloats(e).Select(v => (long)v)];

    internal static long[] Dims(JsonElement e)
    {
        var shape = new List<long>();
        for (var cur = e; cur.ValueKind == JsonValueKind.Array; cur = cur[0]) shape.Add(cur.GetArrayLength());
        return [.. shape];
    }
}
