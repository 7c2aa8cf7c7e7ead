using Google.Protobuf;
using LatentEbm.Inference.Runtime;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace LatentEbm.Onnx.Tests;

/// <summary>Runs an in-memory ONNX model through the inference library's <see cref="OrtGraph"/> on the CPU provider, one thread.</summary>
internal static class Ort
{
    /// <summary>Runs <paramref name="model"/> once in a fresh session on float32 inputs and returns every output as (data, dimensions).</summary>
    public static Dictionary<string, (float[] Data, int[] Dims)> Run(ModelProto model, params (string Name, float[] Data, int[] Dims)[] inputs)
    {
        using var graph = Session(model);
        return graph.Run([.. inputs.Select(i => GraphInput.Float32(i.Name, i.Data, [.. i.Dims.Select(d => (long)d)]))])
            .ToDictionary(o => o.Key, o => (o.Value.Floats, o.Value.Dims));
    }

    /// <summary>A graph on the CPU provider, one thread, for several runs (e.g. of different batch and sequence sizes).</summary>
    public static OrtGraph Session(ModelProto model) =>
        OrtGraph.Load(model.ToByteArray(), () => new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 });

    /// <summary>Runs <paramref name="model"/> once in a fresh session on float32 and int64 inputs.</summary>
    public static IReadOnlyDictionary<string, GraphOutput> Run(ModelProto model, params GraphInput[] inputs)
    {
        using var graph = Session(model);
        return graph.Run(inputs);
    }

    /// <summary>Runs <paramref name="graph"/> on float32 and int64 inputs and reads back every output (float32 or int64).</summary>
    public static IReadOnlyDictionary<string, GraphOutput> Run(OrtGraph graph, params GraphInput[] inputs) => graph.Run(inputs);

    /// <summary>max |a - b| / max(max |b|, 1e-30).</summary>
    public static double RelativeError(float[] actual, double[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double err = 0, scale = 1e-30;
        for (int i = 0; i < actual.Length; i++)
        {
            err = Math.Max(err, Math.Abs(actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        return err / scale;
    }
}
