using System.Text.Json;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Onnx.Layers;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Onnx.Tests;

/// <summary>
/// Networks built from the PyTorch float64 oracles in tests/fixtures: langevin_cases.json (sigma0 = 1,
/// from ../shared/oracles) and langevin_sigma0_cases.json (the same cases with sigma0 = 1.5, written by
/// make_sigma0_cases.py), as plain float arrays.
/// </summary>
internal static class OracleSpec
{
    /// <summary>The oracle files: sigma0 = 1 and sigma0 = 1.5.</summary>
    public static readonly string[] Files = ["langevin_cases.json", "langevin_sigma0_cases.json"];

    private static readonly Dictionary<string, JsonElement> Roots = Files.ToDictionary(f => f, f => JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture(f))).RootElement);

    public static JsonElement Root(string file) => Roots[file];

    public static double[] Flat(JsonElement e)
    {
        var values = new List<double>();
        void Walk(JsonElement v) { if (v.ValueKind == JsonValueKind.Array) foreach (var c in v.EnumerateArray()) Walk(c); else values.Add(v.GetDouble()); }
        Walk(e);
        return [.. values];
    }

    public static float[] Floats(JsonElement e) => [.. Flat(e).Select(v => (float)v)];

    public static int[] Dims(JsonElement e)
    {
        var dims = new List<int>();
        for (var cur = e; cur.ValueKind == JsonValueKind.Array; cur = cur[0]) dims.Add(cur.GetArrayLength());
        return [.. dims];
    }

    public static Network Prior(JsonElement mlp)
    {
        int[] widths = [.. mlp.GetProperty("dims").EnumerateArray().Select(d => d.GetInt32())];
        var layers = new List<Layer>();
        var json = mlp.GetProperty("layers").EnumerateArray().ToArray();
        for (int i = 0; i < json.Length; i++)
        {
            layers.Add(new Linear(widths[i], widths[i + 1], Floats(json[i].GetProperty("weight")), Floats(json[i].GetProperty("bias"))));
            if (i < json.Length - 1)
                layers.Add(mlp.GetProperty("activation").GetString() == "gelu" ? new Gelu() : new LeakyReLU(0.2f));
        }
        return new Network(layers, [widths[0]]);
    }

    public static Network Decoder(JsonElement decoder, int nz)
    {
        var layers = new List<Layer> { new Reshape(nz, 1, 1) };
        foreach (var l in decoder.GetProperty("layers").EnumerateArray())
            layers.Add(l.GetProperty("type").GetString() switch
            {
                "ConvTranspose2d" => new ConvTranspose2d(l.GetProperty("in").GetInt32(), l.GetProperty("out").GetInt32(), l.GetProperty("kernel").GetInt32(),
                    l.GetProperty("stride").GetInt32(), l.GetProperty("padding").GetInt32(), Floats(l.GetProperty("weight")), Floats(l.GetProperty("bias"))),
                "LeakyReLU" => new LeakyReLU((float)l.GetProperty("slope").GetDouble()),
                "Tanh" => new Tanh(),
                var t => throw new ArgumentException(t),
            });
        return new Network(layers, [nz]);
    }

    public static LatentEbmSpec PriorOnly(JsonElement c)
    {
        var prior = Prior(c);
        // A trivial generator (z -> [B, nz, 1, 1]) completes the spec; prior graphs never use it.
        long nz = prior.InputShape[1];
        return new LatentEbmSpec(prior, new Network([new Reshape(nz, 1, 1)], [nz]), 1, c.GetProperty("sigma0").GetDouble());
    }

    public static LatentEbmSpec Posterior(JsonElement c)
    {
        var prior = Prior(c.GetProperty("energy_mlp"));
        int nz = (int)prior.InputShape[1];
        return new LatentEbmSpec(prior, Decoder(c.GetProperty("decoder"), nz), c.GetProperty("sigma").GetDouble(), c.GetProperty("sigma0").GetDouble());
    }
}
