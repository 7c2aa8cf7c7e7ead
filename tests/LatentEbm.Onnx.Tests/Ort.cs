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
