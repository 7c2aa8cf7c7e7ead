using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace LatentEbm.Onnx.Tests;

/// <summary>Runs an in-memory ONNX model on ONNX Runtime's CPU provider, one thread.</summary>
internal static class Ort
{
    public static Dictionary<string, (float[] Data, int[] Dims)> Run(ModelProto model, params (string Name, float[] Data, int[] Dims)[] inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model.ToByteArray(), options);
        var values = inputs.Select(i => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(i.Data, i.Dims))).ToList();
        using var results = session.Run(values);
        return results.ToDictionary(r => r.Name, r => (r.AsTensor<float>().ToArray(), r.AsTensor<float>().Dimensions.ToArray()));
    }

    /// <summary>A session on the CPU provider, one thread, for several runs (e.g. of different batch and sequence sizes).</summary>
    public static InferenceSession Session(ModelProto model)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        return new InferenceSession(model.ToByteArray(), options);
    }

    /// <summary>Runs <paramref name="model"/> once in a fresh session on float32 and int64 inputs (OrtValue API).</summary>
    public static Dictionary<string, OrtOutput> Run(ModelProto model, params OrtInput[] inputs)
    {
        using var session = Session(model);
        return Run(session, inputs);
    }

    /// <summary>Runs <paramref name="session"/> on float32 and int64 inputs and reads back every output (float32 or int64).</summary>
    public static Dictionary<string, OrtOutput> Run(InferenceSession session, params OrtInput[] inputs)
    {
        var values = new List<OrtValue>();
        try
        {
            foreach (var input in inputs)
                values.Add(input.Data switch
                {
                    float[] f => OrtValue.CreateTensorValueFromMemory(f, input.Dims),
                    long[] l => OrtValue.CreateTensorValueFromMemory(l, input.Dims),
                    _ => throw new ArgumentException($"input {input.Name}: float[] or long[] expected"),
                });
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, [.. inputs.Select(i => i.Name)], values, session.OutputNames);
            var outputs = new Dictionary<string, OrtOutput>();
            for (int i = 0; i < results.Count; i++)
            {
                var info = results[i].GetTensorTypeAndShape();
                outputs[session.OutputNames[i]] = info.ElementDataType switch
                {
                    TensorElementType.Float => new OrtOutput(results[i].GetTensorDataAsSpan<float>().ToArray(), null, info.Shape),
                    TensorElementType.Int64 => new OrtOutput(null, results[i].GetTensorDataAsSpan<long>().ToArray(), info.Shape),
                    var t => throw new InvalidOperationException($"output {session.OutputNames[i]} is {t}"),
                };
            }
            return outputs;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

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

/// <summary>A float32 (<c>float[]</c>) or int64 (<c>long[]</c>) input tensor.</summary>
internal sealed record OrtInput(string Name, Array Data, long[] Dims)
{
    public static OrtInput Floats(string name, float[] data, params long[] dims) => new(name, data, dims);
    public static OrtInput Longs(string name, long[] data, params long[] dims) => new(name, data, dims);
}

/// <summary>An output tensor: float32 data or int64 data, and its shape.</summary>
internal sealed record OrtOutput(float[]? Floats, long[]? Longs, long[] Dims);
