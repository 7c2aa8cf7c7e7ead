using Google.Protobuf;
using LatentEbm.Inference.Runtime;
using LatentEbm.Onnx;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Training.Export;
using Tensor = TorchSharp.torch.Tensor;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>
/// Random layer stacks: the builder's forward pass and vector-Jacobian product under ONNX Runtime and
/// TorchSharp's float32 forward pass and autograd, each against TorchSharp float64 on the same weights
/// (so a failure names the wrong side), and against central differences of the ONNX forward pass
/// itself; the VJP is a function of x, not frozen.
/// </summary>
public class ExportPropertyTests
{
    public ExportPropertyTests() => TorchTestSetup.Init();

    private static nn.Module<Tensor, Tensor> RandomActivation(Random r) => r.Next(6) switch
    {
        0 => nn.ReLU(),
        1 => nn.LeakyReLU(0.05 + 0.3 * r.NextDouble()),
        2 => nn.GELU(),
        3 => nn.SiLU(),
        4 => nn.Tanh(),
        _ => nn.Sigmoid(),
    };

    /// <summary>An MLP of random depth, widths and activations.</summary>
    private static (List<nn.Module<Tensor, Tensor>> Modules, long[] Input) RandomMlp(Random r)
    {
        int inFeatures = r.Next(2, 9), width = inFeatures;
        var modules = new List<nn.Module<Tensor, Tensor>>();
        for (int depth = r.Next(1, 4), i = 0; i < depth; i++)
        {
            int next = r.Next(1, 17);
            modules.Add(nn.Linear(width, next));
            modules.Add(RandomActivation(r));
            width = next;
        }
        return (modules, [inFeatures]);
    }

    /// <summary>Latent → ConvTranspose → BatchNorm → activation → Conv → activation → Flatten → Linear.</summary>
    private static (List<nn.Module<Tensor, Tensor>> Modules, long[] Input) RandomConvStack(Random r)
    {
        int nz = r.Next(2, 6), c1 = r.Next(2, 5), c2 = r.Next(1, 4), k = r.Next(2, 5), stride = r.Next(1, 3), pad = r.Next(0, 2);
        var bn = nn.BatchNorm2d(c1);
        using (no_grad())
        {
            bn.running_mean!.copy_(randn(c1) * 0.3);
            bn.running_var!.copy_(rand(c1) + 0.5);
            bn.weight!.copy_(randn(c1));
            bn.bias!.copy_(randn(c1));
        }
        long side = (4 - 1) * stride - 2 * pad + k;                 // after the transposed convolution of a 4x4 map
        int k2 = (int)Math.Min(3, side), stride2 = r.Next(1, 3);
        long side2 = (side - k2) / stride2 + 1;                      // after the convolution, padding 0
        var modules = new List<nn.Module<Tensor, Tensor>>
        {
            nn.Linear(nz, 4 * 4 * 2), nn.Unflatten(1, [2, 4, 4]),
            nn.ConvTranspose2d(2, c1, k, stride: stride, padding: pad), bn, RandomActivation(r),
            nn.Conv2d(c1, c2, k2, stride: stride2), RandomActivation(r),
            nn.Flatten(), nn.Linear(c2 * side2 * side2, 3),
        };
        return (modules, [nz]);
    }

    private static Dictionary<string, float[]> Run(OrtGraph graph, float[] x, long[] xShape, float[] dy, long[] yShape) =>
        graph.Run(GraphInput.Float32("x", x, xShape), GraphInput.Float32("dy", dy, yShape)).ToDictionary(o => o.Key, o => o.Value.Floats);

    private static double RelativeError(float[] actual, double[] expected)
    {
        double err = 0, scale = 1e-30;
        for (int i = 0; i < actual.Length; i++) { err = Math.Max(err, Math.Abs(actual[i] - expected[i])); scale = Math.Max(scale, Math.Abs(expected[i])); }
        return err / scale;
    }

    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)] [InlineData(5)] [InlineData(6)]
    [InlineData(11)] [InlineData(12)] [InlineData(13)] [InlineData(14)] [InlineData(15)] [InlineData(16)]
    public void RandomStacksMatchTorchSharpAutogradAndCentralDifferences(int seed)
    {
        var r = new Random(seed);
        torch.manual_seed(seed);
        var (modules, input) = seed > 10 ? RandomConvStack(r) : RandomMlp(r);
        var sequential = nn.Sequential(modules);
        sequential.eval();
        var network = ModuleExporter.ToNetwork(modules, input);
        using var session = OrtGraph.Load(NetworkGraphs.ForwardAndVjp(network).ToByteArray());

        int batch = r.Next(1, 6);
        long[] xShape = [batch, .. input];
        var x = randn(xShape).requires_grad_(true);
        var y = sequential.forward(x);
        var dy = randn(y.shape);
        var dx = autograd.grad([y], [x], [dy])[0];
        float[] xs = x.detach().data<float>().ToArray(), dys = dy.data<float>().ToArray();
        var onnx = Run(session, xs, xShape, dys, y.shape);

        // The float64 reference: the same weights and inputs in double precision.
        sequential.to(float64);
        var x64 = x.detach().to(float64).requires_grad_(true);
        var y64 = sequential.forward(x64);
        var dx64 = autograd.grad([y64], [x64], [dy.to(float64)])[0];
        double[] yExact = y64.detach().data<double>().ToArray(), dxExact = dx64.data<double>().ToArray();
        string setting = LatentEbm.Training.Runtime.TorchRuntime.DescribeSetting();
        foreach (var (side, forward, vjp) in new[] { ("ONNX Runtime", onnx["y"], onnx["dx"]), ($"TorchSharp float32 ({setting})", y.detach().data<float>().ToArray(), dx.data<float>().ToArray()) })
        {
            double forwardError = RelativeError(forward, yExact), vjpError = RelativeError(vjp, dxExact);
            Assert.True(forwardError < 1e-5, $"{side} forward off float64 by {forwardError:E2}: {network.Describe()}");
            Assert.True(vjpError < 1e-5, $"{side} input gradient off float64 by {vjpError:E2}: {network.Describe()}");
        }

        // Central differences of the ONNX forward pass along a random direction v:
        // d/dh <dy, y(x + h v)> at 0 equals <dx, v>.
        var v = randn(xShape).data<float>().ToArray();
        const float h = 1e-2f;
        double Directional(float sign)
        {
            var shifted = xs.Select((value, i) => value + sign * h * v[i]).ToArray();
            var ys = Run(session, shifted, xShape, dys, y.shape)["y"];
            return ys.Select((value, i) => (double)value * dys[i]).Sum();
        }
        double fd = (Directional(1) - Directional(-1)) / (2 * h);
        double exact = onnx["dx"].Select((value, i) => (double)value * v[i]).Sum();
        Assert.True(Math.Abs(fd - exact) <= 2e-2 * Math.Max(1, Math.Abs(exact)), $"central difference {fd} vs VJP {exact}: {network.Describe()}");

        // The VJP depends on x (it is not a frozen constant) unless the network is affine.
        var moved = Run(session, [.. xs.Select(value => value + 0.7f)], xShape, dys, y.shape)["dx"];
        Assert.True(RelativeError(moved, [.. onnx["dx"].Select(v => (double)v)]) > 1e-4, "the VJP did not change when x changed");
    }

    [Fact]
    public void AnUnsupportedLayerIsAnExportErrorNamingIt()
    {
        var error = Assert.Throws<OnnxExportException>(() => ModuleExporter.ToNetwork([nn.Linear(3, 4), nn.Dropout(0.5)], [3]));
        Assert.Contains("Dropout", error.Message);
        var dilated = Assert.Throws<OnnxExportException>(() => ModuleExporter.ToNetwork([nn.Conv2d(1, 1, 3, dilation: 2)], [1, 8, 8]));
        Assert.Contains("dilation", dilated.Message);
    }
}
