using Onnx;

namespace LatentEbm.Onnx.Graphs;

/// <summary>The text latent EBM's anomaly score graph (PAPER.md, "Text model" and "Model").</summary>
public static class TextScoreGraph
{
    /// <summary>
    /// <c>tokens [B, T1] (int64), z [B, nz] → score [B]</c>: the negative log joint up to log Z(alpha),
    /// score = -(log p_theta(x|z) + f_alpha(z) - |z|² / (2 sigma0²)) in nats; higher = more anomalous. log p_theta(x|z) is
    /// that of <see cref="TextGraphs.LogLikelihood"/> (&lt;pad&gt; targets not scored), so a sentence's score does not depend
    /// on the padding its batch gives it.
    /// </summary>
    /// <param name="spec">The model.</param>
    /// <param name="card">Model metadata.</param>
    public static ModelProto AnomalyScore(TextDecoderSpec spec, IReadOnlyDictionary<string, string>? card = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var g = new GraphBuilder("text_anomaly_score");
        var tokens = g.Input("tokens", TensorProto.Types.DataType.Int64, [-1, -1], GraphBuilder.BatchDimension, TextGraphs.TokenDimension);
        var z = g.Input("z", [-1, spec.Nz]);
        var emitter = new TextDecoderEmitter(g, spec);
        var logLikelihood = emitter.LogLikelihood(g, emitter.Tokens(g, tokens, gradient: false), z, gradient: false).LogLikelihood;
        var f = g.Reshape(spec.Prior.Forward(g, z)[^1], [-1]);
        var logJoint = g.Sub(g.Add(logLikelihood, f), g.Mul(g.SumRows(g.Mul(z, z)), (float)(1 / (2 * spec.Sigma0 * spec.Sigma0))));
        g.Output(g.Mul(logJoint, -1f), "score");
        return g.BuildModel(card, "text anomaly score: -(log p(x|z) + f(z) - |z|^2 / (2 sigma0^2)), nats (PAPER.md, Text model)");
    }
}
