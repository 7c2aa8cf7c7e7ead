using LatentEbm.Onnx.Layers;
using Onnx;

namespace LatentEbm.Onnx.Graphs;

/// <summary>
/// Emits the text decoder's teacher-forced log-likelihood log p(x|z) and its gradient with respect to z (PAPER.md,
/// "Text model"), by hand-written reverse mode through time: a forward Loop over the T steps saves each step's gates and
/// states as scan outputs, a backward Loop walks them in reverse. The weights' derived forms (slices, transposes, summed
/// biases) are emitted once in the graph the emitter is created in, outside every Loop body.
/// </summary>
internal sealed class TextDecoderEmitter
{
    private readonly TextDecoderSpec spec;
    private readonly LstmCell cell;

    /// <summary>Emits the weights' derived forms in <paramref name="root"/> (the model's root graph).</summary>
    public TextDecoderEmitter(GraphBuilder root, TextDecoderSpec spec)
    {
        this.spec = spec;
        cell = spec.Cell;
        long v = spec.V, e = spec.E, h = spec.H, nz = spec.Nz;
        Lstm = cell.Prepare(root);
        Embedding = root.Weight("embedding_weight", spec.Embedding, [v, e]);
        EmbeddingGatesT = cell.InputColumns(root, 0, e, transposed: true);
        LatentGatesT = cell.InputColumns(root, e, e + nz, transposed: true);
        LatentGates = cell.InputColumns(root, e, e + nz, transposed: false);
        InitialWeight = root.Weight("initial_weight", spec.InitialWeight, [h, nz]);
        InitialBias = root.Weight("initial_bias", spec.InitialBias, [h]);
        ReadoutWeight = root.Weight("readout_weight", spec.ReadoutWeight, [v, h]);
        ReadoutWeightT = root.Op("Transpose", [ReadoutWeight], [h, v], Attr.Ints("perm", 1, 0));
        ReadoutBias = root.Weight("readout_bias", spec.ReadoutBias, [v]);
    }

    /// <summary>The spec.</summary>
    public TextDecoderSpec Spec => spec;
    /// <summary>The LSTM cell.</summary>
    public LstmCell Cell => cell;
    /// <summary>W_hhᵀ, W_hh, b_ih + b_hh.</summary>
    public LstmWeights Lstm { get; }
    /// <summary><c>[V, E]</c>.</summary>
    public OnnxValue Embedding { get; }
    /// <summary>The embedding columns of W_ih, transposed: <c>[E, 4H]</c>.</summary>
    public OnnxValue EmbeddingGatesT { get; }
    /// <summary>The z columns of W_ih, transposed: <c>[nz, 4H]</c>.</summary>
    public OnnxValue LatentGatesT { get; }
    /// <summary>The z columns of W_ih: <c>[4H, nz]</c>.</summary>
    public OnnxValue LatentGates { get; }
    /// <summary>W_init <c>[H, nz]</c>.</summary>
    public OnnxValue InitialWeight { get; }
    /// <summary>b_init <c>[H]</c>.</summary>
    public OnnxValue InitialBias { get; }
    /// <summary>W_ro <c>[V, H]</c>.</summary>
    public OnnxValue ReadoutWeight { get; }
    /// <summary>W_roᵀ <c>[H, V]</c>.</summary>
    public OnnxValue ReadoutWeightT { get; }
    /// <summary>b_ro <c>[V]</c>.</summary>
    public OnnxValue ReadoutBias { get; }

    /// <summary>
    /// The parts that depend on z only, for every step: h0 = W_init z + b_init <c>[B, H]</c>, and the gates' z term plus both
    /// biases, z W_ih[:, E:]ᵀ + b_ih + b_hh <c>[B, 4H]</c>.
    /// </summary>
    public (OnnxValue H0, OnnxValue LatentGateTerm) Latent(GraphBuilder g, OnnxValue z)
    {
        var h0 = g.Op("Gemm", [z, InitialWeight, InitialBias], [z.Shape[0], spec.H], Attr.Int("transB", 1));
        return (h0, g.Add(g.MatMul(z, LatentGatesT), Lstm.Bias));
    }

    /// <summary>logits = h W_roᵀ + b_ro, for h <c>[..., H]</c>.</summary>
    public OnnxValue Logits(GraphBuilder g, OnnxValue h) => g.Add(g.MatMul(h, ReadoutWeightT), ReadoutBias);

    /// <summary>A float zero tensor shaped like <paramref name="like"/>.</summary>
    public static OnnxValue ZerosLike(GraphBuilder g, OnnxValue like) =>
        g.Op("Expand", [g.Scalar(0f), g.Op("Shape", [like], [like.Rank])], like.Shape);

    /// <summary>
    /// The parts that depend on the tokens only (emit them outside a chain's Loop). <paramref name="tokens"/> is int64
    /// <c>[B, T + 1]</c>: inputs are its first T columns, targets its last T.
    /// </summary>
    /// <param name="g">Where to emit.</param>
    /// <param name="tokens">The token ids.</param>
    /// <param name="gradient">Also emit the one-hot targets (needed only by the gradient).</param>
    public TeacherForcing Tokens(GraphBuilder g, OnnxValue tokens, bool gradient)
    {
        var one = g.Int64Scalar("one", 1);
        var steps = g.Sub(g.Op("Gather", [g.Op("Shape", [tokens], [2]), one], [], Attr.Int("axis", 0)), one);
        var inputs = g.Op("Slice", [tokens, g.Int64Constant("starts", [0]), g.Int64Constant("ends", [-1]), g.Int64Constant("axes", [1])], [-1, -1]);
        var targets = g.Op("Slice", [tokens, g.Int64Constant("starts", [1]), g.Int64Constant("ends", [long.MaxValue]), g.Int64Constant("axes", [1])], [-1, -1]);
        var inputsT = g.Op("Transpose", [inputs], [-1, -1], Attr.Ints("perm", 1, 0));                     // [T, B]
        var targetsT = g.Op("Unsqueeze", [g.Op("Transpose", [targets], [-1, -1], Attr.Ints("perm", 1, 0)), g.Int64Constant("axes", [2])], [-1, -1, 1]);
        var words = g.Op("Gather", [Embedding, inputsT], [-1, -1, spec.E], Attr.Int("axis", 0));        // [T, B, E]
        var wordGates = g.MatMul(words, EmbeddingGatesT);                                                    // [T, B, 4H]
        var scored = g.Op("Not", [g.Op("Equal", [targetsT, g.Int64Scalar("pad", TextDecoderSpec.PadId)], targetsT.Shape)], targetsT.Shape);
        var mask = g.Op("Cast", [scored], targetsT.Shape, Attr.Int("to", (long)TensorProto.Types.DataType.Float));
        OnnxValue? oneHot = null;
        if (gradient)
        {
            var ids = g.Int64Constant("vocabulary_ids", [.. Enumerable.Range(0, spec.V).Select(i => (long)i)]);
            oneHot = g.Op("Cast", [g.Op("Equal", [targetsT, ids], [-1, -1, spec.V])], [-1, -1, spec.V], Attr.Int("to", (long)TensorProto.Types.DataType.Float));
        }
        return new TeacherForcing(steps, g.Sub(steps, one), wordGates, targetsT, mask, oneHot);
    }

    /// <summary>
    /// log p(x|z) <c>[B]</c> (nats) = Σ_t mask_t log softmax(logits_t)[target_t], and when <paramref name="gradient"/>,
    /// ∇_z log p(x|z) <c>[B, nz]</c> = Σ_t ∂L/∂a_t W_ih[:, E:] + ∂L/∂h0 W_init (the gates' z columns at every step, and h0), the upstream term at each scored
    /// position being onehot(target) - softmax(logits).
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="gradient"/> with <paramref name="tf"/> emitted without one-hot targets.</exception>
    public (OnnxValue LogLikelihood, OnnxValue? GradZ) LogLikelihood(GraphBuilder g, TeacherForcing tf, OnnxValue z, bool gradient)
    {
        if (gradient && tf.OneHot is null) throw new InvalidOperationException("the gradient needs the one-hot targets (Tokens(..., gradient: true))");
        long h = spec.H, h4 = 4L * spec.H;
        var (h0, latentTerm) = Latent(g, z);
        var gates = g.Add(tf.WordGates, latentTerm);                                                         // [T, B, 4H]
        var zeros = ZerosLike(g, h0);

        // Forward: carry (h, c); scan h' and, for the gradient, what the VJP needs.
        var body = g.Subgraph("lstm_forward");
        var t = body.Input(body.Fresh("t"), TensorProto.Types.DataType.Int64, []);
        var condition = body.Input(body.Fresh("cond_in"), TensorProto.Types.DataType.Bool, []);
        var hIn = body.Input(body.Fresh("h_in"), [-1, h]);
        var cIn = body.Input(body.Fresh("c_in"), [-1, h]);
        var step = cell.Step(body, Lstm, body.Op("Gather", [gates, t], [-1, h4], Attr.Int("axis", 0)), hIn, cIn);
        body.Output(condition, body.Fresh("cond_out"), TensorProto.Types.DataType.Bool);
        body.Output(step.H, body.Fresh("h_out"));
        body.Output(step.C, body.Fresh("c_out"));
        var scans = new List<OnnxValue> { step.H };
        if (gradient) scans.AddRange([step.Saved.I, step.Saved.F, step.Saved.G, step.Saved.O, step.Saved.CPrevious, step.Saved.TanhC]);
        foreach (var s in scans) body.Output(s, body.Fresh("scan"));
        string[] outputs = [g.Fresh("h_last"), g.Fresh("c_last"), .. scans.Select(_ => g.Fresh("steps"))];
        g.Node("Loop", [tf.Steps.Name, g.BoolScalar("run", true).Name, h0.Name, zeros.Name], outputs, Attr.Graph("body", body.Graph));
        var all = outputs[2..].Select(n => new OnnxValue(n, [-1, -1, h])).ToArray();                         // each [T, B, H]

        var logProbabilities = g.Op("LogSoftmax", [Logits(g, all[0])], [-1, -1, spec.V], Attr.Int("axis", 2));
        var picked = g.Op("GatherElements", [logProbabilities, tf.Targets], [-1, -1, 1], Attr.Int("axis", 2));
        var logLikelihood = g.Op("ReduceSum", [g.Mul(picked, tf.Mask), g.Int64Constant("axes", [0, 2])], [-1], Attr.Int("keepdims", 0));
        if (!gradient) return (logLikelihood, null);

        // Backward: upstream onehot - softmax at scored positions, through the read-out, then the steps in reverse.
        var dLogits = g.Mul(g.Sub(tf.OneHot!, g.Unary("Exp", logProbabilities)), tf.Mask);                     // [T, B, V]
        var dReadout = g.MatMul(dLogits, ReadoutWeight);                                                     // [T, B, H]
        var back = g.Subgraph("lstm_backward");
        var k = back.Input(back.Fresh("k"), TensorProto.Types.DataType.Int64, []);
        var backCondition = back.Input(back.Fresh("cond_in"), TensorProto.Types.DataType.Bool, []);
        var dhIn = back.Input(back.Fresh("dh_in"), [-1, h]);
        var dcIn = back.Input(back.Fresh("dc_in"), [-1, h]);
        var dSumIn = back.Input(back.Fresh("dgates_sum_in"), [-1, h4]);
        var time = back.Sub(tf.LastStep, k);
        OnnxValue At(OnnxValue sequence) => back.Op("Gather", [sequence, time], [-1, h], Attr.Int("axis", 0));
        var saved = new LstmSaved(At(all[1]), At(all[2]), At(all[3]), At(all[4]), At(all[5]), At(all[6]));
        var (dGates, dhPrevious, dcPrevious) = cell.Backward(back, Lstm, saved, back.Add(At(dReadout), dhIn), dcIn);
        back.Output(backCondition, back.Fresh("cond_out"), TensorProto.Types.DataType.Bool);
        back.Output(dhPrevious, back.Fresh("dh_out"));
        back.Output(dcPrevious, back.Fresh("dc_out"));
        back.Output(back.Add(dSumIn, dGates), back.Fresh("dgates_sum_out"));
        string dh0 = g.Fresh("dh0"), dcUnused = g.Fresh("dc0"), dSum = g.Fresh("dgates_sum");
        g.Node("Loop", [tf.Steps.Name, g.BoolScalar("run", true).Name, zeros.Name, zeros.Name, ZerosLike(g, latentTerm).Name],
            [dh0, dcUnused, dSum], Attr.Graph("body", back.Graph));

        var gradZ = g.Add(g.MatMul(new OnnxValue(dSum, [-1, h4]), LatentGates), g.MatMul(new OnnxValue(dh0, [-1, h]), InitialWeight));
        return (logLikelihood, gradZ);
    }
}

/// <summary>The token-dependent values of teacher forcing (<see cref="TextDecoderEmitter.Tokens"/>).</summary>
/// <param name="Steps">T, int64 scalar.</param>
/// <param name="LastStep">T - 1, int64 scalar.</param>
/// <param name="WordGates">embedding(input_t) W_ih[:, :E]ᵀ <c>[T, B, 4H]</c>.</param>
/// <param name="Targets">int64 <c>[T, B, 1]</c>.</param>
/// <param name="Mask">1 where the target is scored (not &lt;pad&gt;), else 0, float <c>[T, B, 1]</c>.</param>
/// <param name="OneHot">onehot(target) <c>[T, B, V]</c>, or null when not emitted.</param>
internal sealed record TeacherForcing(OnnxValue Steps, OnnxValue LastStep, OnnxValue WordGates, OnnxValue Targets, OnnxValue Mask, OnnxValue? OneHot);
