using System.Text.Json;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>Builds float64 TorchSharp networks from the weights of tests/fixtures/langevin_cases.json (PyTorch float64 autograd).</summary>
internal static class OracleModels
{
    public static JsonElement Root { get; } = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("langevin_cases.json"))).RootElement;

    /// <summary>Nested JSON arrays of numbers as a float64 tensor of the same shape.</summary>
    public static Tensor Tensor(JsonElement e)
    {
        var shape = new List<long>();
        for (var cur = e; cur.ValueKind == JsonValueKind.Array; cur = cur[0]) shape.Add(cur.GetArrayLength());
        var values = new List<double>();
        Flatten(e, values);
        return tensor(values.ToArray(), [.. shape], float64);
    }

    private static void Flatten(JsonElement e, List<double> into)
    {
        if (e.ValueKind == JsonValueKind.Array) foreach (var c in e.EnumerateArray()) Flatten(c, into);
        else into.Add(e.GetDouble());
    }

    public static string Activation(string oracleName) => oracleName switch
    {
        "leaky_relu_0.2" => "leaky_relu",
        "gelu" => "gelu",
        _ => throw new ArgumentException(oracleName),
    };

    public static PriorEnergyMlp Prior(JsonElement mlp)
    {
        var widths = mlp.GetProperty("dims").EnumerateArray().Select(d => d.GetInt32()).ToArray();
        var prior = new PriorEnergyMlp(widths, Activation(mlp.GetProperty("activation").GetString()!));
        prior.to(float64);
        var layers = mlp.GetProperty("layers").EnumerateArray().ToArray();
        using (no_grad())
            for (int i = 0; i < layers.Length; i++)
            {
                prior.Linears[i].weight!.copy_(Tensor(layers[i].GetProperty("weight")));
                prior.Linears[i].bias!.copy_(Tensor(layers[i].GetProperty("bias")));
            }
        return prior;
    }

    /// <summary>The posterior case's ConvTranspose decoder: z [B, nz] -> [B, nz, 1, 1] -> ... -> [B, 1, 8, 8].</summary>
    public static nn.Module<Tensor, Tensor> Decoder(JsonElement decoder, int nz)
    {
        var modules = new List<nn.Module<Tensor, Tensor>> { nn.Unflatten(1, [nz, 1, 1]) };
        foreach (var layer in decoder.GetProperty("layers").EnumerateArray())
        {
            switch (layer.GetProperty("type").GetString())
            {
                case "ConvTranspose2d":
                    var conv = nn.ConvTranspose2d(layer.GetProperty("in").GetInt64(), layer.GetProperty("out").GetInt64(),
                        layer.GetProperty("kernel").GetInt64(), stride: layer.GetProperty("stride").GetInt64(),
                        padding: layer.GetProperty("padding").GetInt64(), dtype: float64);
                    using (no_grad())
                    {
                        conv.weight!.copy_(Tensor(layer.GetProperty("weight")));
                        conv.bias!.copy_(Tensor(layer.GetProperty("bias")));
                    }
                    modules.Add(conv);
                    break;
                case "LeakyReLU":
                    modules.Add(nn.LeakyReLU(layer.GetProperty("slope").GetDouble()));
                    break;
                case "Tanh":
                    modules.Add(nn.Tanh());
                    break;
                default:
                    throw new ArgumentException(layer.GetProperty("type").GetString());
            }
        }
        return nn.Sequential(modules);
    }
}
