using LatentEbm.Onnx.Layers;
using Onnx;

namespace LatentEbm.Onnx.Graphs;

/// <summary>Graphs of a single network, for checking the builder's forward passes and vector-Jacobian products.</summary>
public static class NetworkGraphs
{
    /// <summary><c>x [B, ...], dy [B, ...] → y [B, ...], dx [B, ...]</c>: y = net(x) and dx = J(x)ᵀ dy.</summary>
    public static ModelProto ForwardAndVjp(Network network)
    {
        var g = new GraphBuilder("forward_and_vjp");
        var x = g.Input("x", network.InputShape);
        var dy = g.Input("dy", network.OutputShape);
        var acts = network.Forward(g, x);
        g.Output(acts[^1], "y");
        g.Output(network.Backward(g, acts, dy), "dx");
        return g.BuildModel(docString: network.Describe());
    }
}
