using System.Text.Json;
using LatentEbm.Data.Text;
using LatentEbm.Inference.Text;
using LatentEbm.Training.Export;
using LatentEbm.Training.Model;
using LatentEbm.Training.Runtime;
using LatentEbm.Training.Text;
using static TorchSharp.torch;

namespace LatentEbm.Tests.Shared;

/// <summary>
/// The text model of tests/fixtures/text_cases.json (PyTorch float64 weights: V 11, nz 3, E 4, H 5, prior MLP 3-6-6-1, sigma0 1.5)
/// in TorchSharp float32, and its verified text bundles: <see cref="Bundle"/> (the fixture's weights; posterior chain
/// 3 steps 0.8, 0.425, 0.05 as in text_onnx_cases.json; prior chain 4 steps of 0.5; at most 9 words, so decoding runs
/// 10 steps as the fixture's) and <see cref="DecodingBundle"/> (the read-out bias of text_onnx_cases.json's decoding
/// cases). Exported once per test process; compiled into the test projects that reference training/.
/// </summary>
internal static class TinyTextBundle
{
    /// <summary>Most words per sentence of the bundles.</summary>
    public const int MaxWords = 9;

    /// <summary>The fixture model's own file.</summary>
    public static readonly JsonElement Case = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("text_cases.json"))).RootElement;

    /// <summary>text_onnx_cases.json.</summary>
    public static readonly JsonElement OnnxCases = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("text_onnx_cases.json"))).RootElement;

    /// <summary>Its settings (the sizes of text_cases.json, the chains of text_onnx_cases.json).</summary>
    public static TextTrainingSettings Settings => new()
    {
        Nz = 3, EmbeddingSize = 4, HiddenSize = 5, PriorHidden = [6, 6], Sigma0 = 1.5,
        PriorSteps = 4, PriorStepSize = 0.5, PosteriorSteps = 3, PosteriorStepSizeStart = 0.8, PosteriorStepSizeEnd = 0.05, Seed = 1,
    };

    /// <summary>The seven words of the vocabulary (ids 4 to 10), in id order.</summary>
    public static readonly string[] Words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"];

    /// <summary>The vocabulary: the specials, then <see cref="Words"/> (V = 11).</summary>
    public static Vocabulary Vocabulary() =>
        Data.Text.Vocabulary.Build([.. Words.Select((w, i) => string.Join(' ', Enumerable.Repeat(w, Words.Length - i)))]);

    /// <summary>The fixture model in float32 (decoder in evaluation mode); <paramref name="readoutBias"/> replaces b_ro.</summary>
    public static TextLatentEbm Model(double[]? readoutBias = null)
    {
        TorchRuntime.Initialize();
        var decoder = new TextDecoder(Case.GetProperty("vocabulary_size").GetInt32(), Case.GetProperty("nz").GetInt32(),
            Case.GetProperty("embedding").GetInt32(), Case.GetProperty("hidden").GetInt32(), dropoutRate: 0.5);
        var weights = Case.GetProperty("weights");
        var prior = new PriorEnergyMlp([Case.GetProperty("nz").GetInt32(), 6, 6, 1], "leaky_relu");
        using (no_grad())
        {
            foreach (var (name, parameter) in decoder.named_parameters())
                parameter.copy_(name == "readout.bias" && readoutBias is not null ? tensor(readoutBias) : Tensor(weights.GetProperty(name)));
            var layers = Case.GetProperty("prior").EnumerateArray().ToArray();
            for (int i = 0; i < layers.Length; i++)
            {
                prior.Linears[i].weight!.copy_(Tensor(layers[i].GetProperty("weight")));
                prior.Linears[i].bias!.copy_(Tensor(layers[i].GetProperty("bias")));
            }
        }
        decoder.eval();
        return new TextLatentEbm(prior, decoder, Case.GetProperty("sigma0").GetDouble());
    }

    /// <summary>Provenance written into the tiny bundles' manifests.</summary>
    public static TextBundleTraining Training => new("text_cases.json", 7, 1, 0, 0, null, 1);

    private static readonly Lazy<TextExportResult> Built = new(() =>
        TextBundleExporter.Export(Model(), Vocabulary(), Settings, MaxWords, Training, Path.Combine(TestPaths.NewTempFolder(), "text-tiny")));

    private static readonly Lazy<TextExportResult> BuiltDecoding = new(() =>
        TextBundleExporter.Export(Model(OracleFloats(OnnxCases.GetProperty("decoding").GetProperty("readout_bias"))), Vocabulary(), Settings, MaxWords, Training,
            Path.Combine(TestPaths.NewTempFolder(), "text-tiny-decoding")));

    /// <summary>The export of the fixture model.</summary>
    public static TextExportResult Export => Built.Value;

    /// <summary>The bundle folder of the fixture model (named text-tiny).</summary>
    public static string Bundle => Built.Value.Folder;

    /// <summary>The bundle folder of the decoding model (named text-tiny-decoding).</summary>
    public static string DecodingBundle => BuiltDecoding.Value.Folder;

    /// <summary>Nested JSON arrays of numbers as a float64 tensor.</summary>
    public static Tensor Tensor(JsonElement e)
    {
        var shape = new List<long>();
        for (var cur = e; cur.ValueKind == JsonValueKind.Array; cur = cur[0]) shape.Add(cur.GetArrayLength());
        return tensor(OracleFloats(e), [.. shape], float64);
    }

    /// <summary>Nested JSON arrays of numbers, flattened.</summary>
    public static double[] OracleFloats(JsonElement e)
    {
        var values = new List<double>();
        void Flatten(JsonElement x) { if (x.ValueKind == JsonValueKind.Array) foreach (var c in x.EnumerateArray()) Flatten(c); else values.Add(x.GetDouble()); }
        Flatten(e);
        return [.. values];
    }
}
