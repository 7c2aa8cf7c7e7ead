using Onnx;

namespace LatentEbm.Onnx.Graphs;

/// <summary>
/// The text latent EBM's graphs (PAPER.md, "Text model"), derived from a <see cref="TextDecoderSpec"/>: the decoder's
/// log-likelihood and its gradient by hand-written backpropagation through time, the posterior Langevin chain, and greedy and
/// sampled decoding. Inputs: <c>z</c> float <c>[B, nz]</c>; <c>tokens</c> int64 <c>[B, T1]</c> with T1 = T + 1 ≥ 2, each row
/// <c>&lt;s&gt; w1 ... wn &lt;/s&gt;</c> then <c>&lt;pad&gt;</c> (ids 2, 3, 0; every id in [0, V)); B and T1 are symbolic
/// (<c>B</c>, <c>T1</c>) and may change from run to run of one session. The time steps run in ONNX Loops, so T is not fixed
/// at build time. Dropout is not part of these graphs (evaluation mode).
/// </summary>
public static class TextGraphs
{
    /// <summary>Name of the symbolic token dimension T + 1.</summary>
    public const string TokenDimension = "T1";

    /// <summary>
    /// <c>z [B, nz], tokens [B, T1] → log_likelihood [B]</c>: log p_theta(x|z) in nats = Σ_t log softmax(logits_t)[target_t]
    /// over the targets <c>tokens[:, 1:]</c> that are not &lt;pad&gt; (teacher forcing on <c>tokens[:, :-1]</c>).
    /// </summary>
    public static ModelProto LogLikelihood(TextDecoderSpec spec, IReadOnlyDictionary<string, string>? card = null)
    {
        var g = new GraphBuilder("text_log_likelihood");
        var (z, tokens) = Inputs(g, spec);
        var emitter = new TextDecoderEmitter(g, spec);
        g.Output(emitter.LogLikelihood(g, emitter.Tokens(g, tokens, gradient: false), z, gradient: false).LogLikelihood, "log_likelihood");
        return g.BuildModel(card, "log p(x|z) of each sentence, in nats (PAPER.md, Text model)");
    }

    /// <summary>
    /// <c>z [B, nz], tokens [B, T1] → log_likelihood [B], grad_z [B, nz]</c>: log p_theta(x|z) and ∇_z log p_theta(x|z) of each
    /// row, by reverse mode through time (upstream onehot(target) - softmax(logits) at each scored position).
    /// </summary>
    public static ModelProto LogLikelihoodGrad(TextDecoderSpec spec, IReadOnlyDictionary<string, string>? card = null)
    {
        var g = new GraphBuilder("text_log_likelihood_grad");
        var (z, tokens) = Inputs(g, spec);
        var emitter = new TextDecoderEmitter(g, spec);
        var (logLikelihood, gradZ) = emitter.LogLikelihood(g, emitter.Tokens(g, tokens, gradient: true), z, gradient: true);
        g.Output(logLikelihood, "log_likelihood");
        g.Output(gradZ!, "grad_z");
        return g.BuildModel(card, "log p(x|z) and its gradient with respect to z (PAPER.md, Text model)");
    }

    /// <summary>
    /// <c>z [B, nz], tokens [B, T1], noise [K, B, nz] → z_K [B, nz]</c>: K Langevin steps on the posterior,
    /// z ← z + (s_k²/2) ∇_z log p(z|x) + s_k noise[k] (PAPER.md, "Learning", step 3, and "Text model"), with
    /// ∇_z log p(z|x) = ∇_z log p_theta(x|z) + ∇f(z) - z / sigma0². The noise is used as given (a caller that scales the
    /// chain's noise by a temperature passes it scaled); the step sizes are constants of the graph.
    /// </summary>
    /// <param name="spec">The model.</param>
    /// <param name="stepSizes">s_0 ... s_{K-1} (K ≥ 1, each positive and finite), e.g. <c>TextTrainingSettings.PosteriorStepSizes()</c>.</param>
    /// <param name="form">One Loop over the steps (the default), or K unrolled copies.</param>
    /// <param name="card">Model metadata.</param>
    /// <exception cref="ArgumentException">No step size, or one not positive and finite (its index named).</exception>
    public static ModelProto PosteriorLangevin(TextDecoderSpec spec, IReadOnlyList<double> stepSizes, ChainForm form = ChainForm.Loop,
        IReadOnlyDictionary<string, string>? card = null)
        => PosteriorLangevin(new GraphBuilder("text_posterior_langevin"), spec, stepSizes, form, card);

    /// <summary>
    /// The chain of <see cref="PosteriorLangevin(TextDecoderSpec, IReadOnlyList{double}, ChainForm, IReadOnlyDictionary{string, string}?)"/>
    /// with the decoder's and the prior's weights as graph inputs instead of initializers (the graph holds no weights): built
    /// once, it runs with the weights fed at each run, e.g. a trainer's parameters as Adam updates them. Inputs <c>z</c>
    /// <c>[B, nz]</c>, <c>tokens</c> int64 <c>[B, T1]</c>, <c>noise</c> <c>[K, B, nz]</c> and one float32 input per weight
    /// array (<see cref="LiveWeightGraph.Weights"/>: each names the <paramref name="spec"/> array it stands for, e.g.
    /// <see cref="TextDecoderSpec.Embedding"/> or a prior Linear's weight, whose values are not read); output <c>z_K</c>.
    /// </summary>
    /// <param name="spec">The model's sizes and prior layers; its arrays identify the weight inputs.</param>
    /// <param name="stepSizes">s_0 ... s_{K-1} (K ≥ 1, each positive and finite), constants of the graph.</param>
    /// <param name="form">One Loop over the steps (the default), or K unrolled copies.</param>
    /// <exception cref="ArgumentException">No step size, or one not positive and finite (its index named).</exception>
    public static LiveWeightGraph PosteriorLangevinWithWeightInputs(TextDecoderSpec spec, IReadOnlyList<double> stepSizes, ChainForm form = ChainForm.Loop)
    {
        var g = new GraphBuilder("text_posterior_langevin", weightsAsInputs: true);
        return new LiveWeightGraph(PosteriorLangevin(g, spec, stepSizes, form, null), g.WeightInputs);
    }

    private static ModelProto PosteriorLangevin(GraphBuilder g, TextDecoderSpec spec, IReadOnlyList<double> stepSizes, ChainForm form,
        IReadOnlyDictionary<string, string>? card)
    {
        ArgumentNullException.ThrowIfNull(stepSizes);
        if (stepSizes.Count == 0) throw new ArgumentException("the posterior chain needs at least one step size", nameof(stepSizes));
        for (int k = 0; k < stepSizes.Count; k++)
            if (!(stepSizes[k] > 0) || !double.IsFinite(stepSizes[k]))
                throw new ArgumentException($"step size {k} is {stepSizes[k]}; every step size must be positive and finite", nameof(stepSizes));
        int steps = stepSizes.Count;
        var (z, tokens) = Inputs(g, spec);
        var noise = g.Input("noise", [steps, -1, spec.Nz]);
        var emitter = new TextDecoderEmitter(g, spec);
        var tf = emitter.Tokens(g, tokens, gradient: true);

        OnnxValue Step(GraphBuilder b, OnnxValue zk, OnnxValue noiseK, OnnxValue s)
        {
            var grad = b.Add(emitter.LogLikelihood(b, tf, zk, gradient: true).GradZ!, LatentEbmGraphs.GradLogPrior(b, spec.Prior, spec.Sigma0, zk));
            return b.Add(b.Add(zk, b.Mul(grad, b.Mul(b.Mul(s, s), 0.5f))), b.Mul(noiseK, s));
        }

        OnnxValue result;
        if (form == ChainForm.Unrolled)
        {
            result = z;
            for (int k = 0; k < steps; k++)
                result = Step(g, result, g.Op("Gather", [noise, g.Int64Scalar("k", k)], z.Shape, Attr.Int("axis", 0)), g.Scalar((float)stepSizes[k]));
        }
        else
        {
            var sizes = g.Constant("step_sizes", [.. stepSizes.Select(s => (float)s)], [steps]);
            var body = g.Subgraph("text_langevin_step");
            var k = body.Input(body.Fresh("k"), TensorProto.Types.DataType.Int64, []);
            var condition = body.Input(body.Fresh("cond_in"), TensorProto.Types.DataType.Bool, []);
            var zIn = body.Input(body.Fresh("z_in"), z.Shape);
            body.Output(condition, body.Fresh("cond_out"), TensorProto.Types.DataType.Bool);
            var noiseK = body.Op("Gather", [noise, k], z.Shape, Attr.Int("axis", 0));
            body.Output(Step(body, zIn, noiseK, body.Op("Gather", [sizes, k], [], Attr.Int("axis", 0))), body.Fresh("z_next"));
            string output = g.Fresh("z_chain");
            g.Node("Loop", [g.Int64Scalar("K", steps).Name, g.BoolScalar("run", true).Name, z.Name], [output], Attr.Graph("body", body.Graph));
            result = new OnnxValue(output, z.Shape);
        }
        g.Output(result, "z_K");
        return g.BuildModel(card, $"{steps} Langevin steps on the text posterior p(z|x), step sizes {string.Join(", ", stepSizes.Select(s => s.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    /// <summary>
    /// <c>z [B, nz] → tokens [B, L]</c> (int64): greedy decoding, L = <paramref name="maxLength"/> steps from &lt;s&gt;, each
    /// step's token the argmax of its logits over every id but &lt;pad&gt; and &lt;s&gt; (the lowest id on ties); after a row's
    /// &lt;/s&gt; every later position is &lt;pad&gt;. A row that has not ended by L has no &lt;/s&gt;.
    /// </summary>
    /// <param name="spec">The model.</param>
    /// <param name="maxLength">L ≥ 1, e.g. 41 for 40 words and &lt;/s&gt;.</param>
    /// <param name="card">Model metadata.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is below 1.</exception>
    public static ModelProto GreedyDecode(TextDecoderSpec spec, int maxLength, IReadOnlyDictionary<string, string>? card = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        var g = new GraphBuilder("text_greedy_decode");
        var z = g.Input("z", [-1, spec.Nz]);
        var emitter = new TextDecoderEmitter(g, spec);
        g.Output(TextDecoding.Decode(g, emitter, z, maxLength, (b, logits, _) => TextDecoding.Greedy(b, logits)), "tokens", TensorProto.Types.DataType.Int64);
        return g.BuildModel(card, $"greedy decoding of up to {maxLength} tokens from z (PAPER.md, Text model)");
    }

    /// <summary>
    /// <c>z [B, nz], uniform [B, L], temperature [] → tokens [B, L]</c> (int64): sampled decoding, deterministic given the
    /// uniforms. Step t's token is the inverse-CDF index of <c>uniform[b, t]</c> ∈ [0, 1) under softmax(logits / temperature)
    /// over every id but &lt;pad&gt; and &lt;s&gt; (the count of cumulative probabilities ≤ u, clamped to V - 1); after a
    /// row's &lt;/s&gt; every later position is &lt;pad&gt; (its uniforms are then unused). temperature must be positive
    /// (not checked by the graph).
    /// </summary>
    /// <param name="spec">The model.</param>
    /// <param name="maxLength">L ≥ 1.</param>
    /// <param name="card">Model metadata.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is below 1.</exception>
    public static ModelProto SampleDecode(TextDecoderSpec spec, int maxLength, IReadOnlyDictionary<string, string>? card = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        var g = new GraphBuilder("text_sample_decode");
        var z = g.Input("z", [-1, spec.Nz]);
        var uniform = g.Input("uniform", [-1, maxLength]);
        var temperature = g.Input("temperature", []);
        var emitter = new TextDecoderEmitter(g, spec);
        g.Output(TextDecoding.Decode(g, emitter, z, maxLength, (b, logits, k) => TextDecoding.InverseCdf(b, logits, k, uniform, temperature, spec.V)),
            "tokens", TensorProto.Types.DataType.Int64);
        return g.BuildModel(card, $"sampled decoding of up to {maxLength} tokens from z by inverse CDF of given uniforms (PAPER.md, Text model)");
    }

    private static (OnnxValue Z, OnnxValue Tokens) Inputs(GraphBuilder g, TextDecoderSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var z = g.Input("z", [-1, spec.Nz]);
        var tokens = g.Input("tokens", TensorProto.Types.DataType.Int64, [-1, -1], GraphBuilder.BatchDimension, TokenDimension);
        return (z, tokens);
    }
}
