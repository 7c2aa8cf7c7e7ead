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

    /// <summary>
    /// <c>x [B, ...] → features [B, ...], logits [B, ...]</c>: a feed-forward classifier with the
    /// activation after layer <paramref name="featureLayer"/> (0-based index into the layers) as a
    /// second output, e.g. the penultimate layer for a Fréchet distance.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No such layer.</exception>
    public static ModelProto Classifier(Network network, int featureLayer, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(featureLayer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(featureLayer, network.Layers.Count);
        var g = new GraphBuilder("classifier");
        var x = g.Input("x", network.InputShape);
        var acts = network.Forward(g, x);
        // acts[0] is the input; acts[i + 1] the output of layer i.
        g.Output(g.Unary("Identity", acts[featureLayer + 1]), "features");
        g.Output(acts[^1], "logits");
        return g.BuildModel(metadata, network.Describe());
    }
}
