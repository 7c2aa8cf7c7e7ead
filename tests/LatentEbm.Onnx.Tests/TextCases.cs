using System.Text.Json;
using LatentEbm.Inference.Runtime;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Onnx.Layers;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Onnx.Tests;

/// <summary>
/// The small text latent EBM of tests/fixtures/text_cases.json (PyTorch float64 weights keyed by the TorchSharp decoder's
/// parameter names) and the references of text_onnx_cases.json (written by make_text_onnx_cases.py from the same model).
/// </summary>
internal static class TextCases
{
    public static readonly JsonElement Model = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("text_cases.json"))).RootElement;
    public static readonly JsonElement Onnx = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("text_onnx_cases.json"))).RootElement;

    public static int V => Model.GetProperty("vocabulary_size").GetInt32();
    public static int Nz => Model.GetProperty("nz").GetInt32();
    public static int E => Model.GetProperty("embedding").GetInt32();
    public static int H => Model.GetProperty("hidden").GetInt32();

    /// <summary>The decoder's weights by name, as float32.</summary>
    public static Dictionary<string, float[]> Weights() =>
        Model.GetProperty("weights").EnumerateObject().ToDictionary(p => p.Name, p => OracleSpec.Floats(p.Value));

    /// <summary>f: Linear(nz, 6), LeakyReLU(0.2), Linear(6, 6), LeakyReLU(0.2), Linear(6, 1).</summary>
    public static Network Prior()
    {
        var json = Model.GetProperty("prior").EnumerateArray().ToArray();
        var layers = new List<Layer>();
        for (int i = 0; i < json.Length; i++)
        {
            var w = json[i].GetProperty("weight");
            layers.Add(new Linear(w[0].GetArrayLength(), w.GetArrayLength(), OracleSpec.Floats(w), OracleSpec.Floats(json[i].GetProperty("bias"))));
            if (i < json.Length - 1) layers.Add(new LeakyReLU(0.2f));
        }
        return new Network(layers, [Nz]);
    }

    public static TextDecoderSpec Spec(Dictionary<string, float[]>? weights = null) =>
        new(V, Nz, E, H, weights ?? Weights(), Prior(), Model.GetProperty("sigma0").GetDouble());

    /// <summary>The decoding model: the read-out bias of &lt;/s&gt; raised (see the fixture script).</summary>
    public static TextDecoderSpec DecodingSpec()
    {
        var weights = Weights();
        weights[TextDecoderSpec.ReadoutBiasName] = OracleSpec.Floats(Onnx.GetProperty("decoding").GetProperty("readout_bias"));
        return Spec(weights);
    }

    public static long[] Longs(JsonElement e) => [.. OracleSpec.Flat(e).Select(v => (long)v)];

    public static long[] Dims(JsonElement e) => [.. OracleSpec.Dims(e).Select(d => (long)d)];

    public static GraphInput FloatInput(string name, JsonElement e) => GraphInput.Float32(name, OracleSpec.Floats(e), Dims(e));

    public static GraphInput TokenInput(JsonElement e) => GraphInput.Int64("tokens", Longs(e), Dims(e));
}
