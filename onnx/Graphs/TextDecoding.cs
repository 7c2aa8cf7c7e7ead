using Onnx;

namespace LatentEbm.Onnx.Graphs;

/// <summary>
/// Emits the decoder's free-running generation of L tokens from z (PAPER.md, "Text model"): one Loop of L steps, step 0
/// reading &lt;s&gt;, each later step reading the previous step's token; the token of each step is chosen from that step's
/// logits with &lt;pad&gt; and &lt;s&gt; masked to -inf; once a row has emitted &lt;/s&gt;, its later positions are &lt;pad&gt;.
/// </summary>
internal static class TextDecoding
{
    /// <summary>
    /// The token ids <c>[B, L]</c> (int64) generated from <paramref name="z"/> <c>[B, nz]</c>.
    /// <paramref name="choose"/> emits, inside the Loop body, the chosen ids <c>[B]</c> (int64) from the masked logits
    /// <c>[B, V]</c> and the step index (int64 scalar).
    /// </summary>
    public static OnnxValue Decode(GraphBuilder g, TextDecoderEmitter emitter, OnnxValue z, int maxLength,
        Func<GraphBuilder, OnnxValue, OnnxValue, OnnxValue> choose)
    {
        var spec = emitter.Spec;
        long h = spec.H, v = spec.V;
        var (h0, latentTerm) = emitter.Latent(g, z);
        var batch = g.Op("Slice", [g.Op("Shape", [z], [2]), g.Int64Constant("starts", [0]), g.Int64Constant("ends", [1])], [1]);
        var start = g.Op("Expand", [g.Int64Scalar("start", TextDecoderSpec.StartId), batch], [-1]);
        var notDone = g.Op("Expand", [g.BoolScalar("not_done", false), batch], [-1]);
        var forbidden = new float[v];
        forbidden[TextDecoderSpec.PadId] = forbidden[TextDecoderSpec.StartId] = float.NegativeInfinity;
        var mask = g.Constant("forbidden_tokens", forbidden, [v]);
        var pad = g.Int64Scalar("pad", TextDecoderSpec.PadId);
        var end = g.Int64Scalar("end", TextDecoderSpec.EndId);

        var body = g.Subgraph("decode_step");
        var k = body.Input(body.Fresh("k"), TensorProto.Types.DataType.Int64, []);
        var condition = body.Input(body.Fresh("cond_in"), TensorProto.Types.DataType.Bool, []);
        var hIn = body.Input(body.Fresh("h_in"), [-1, h]);
        var cIn = body.Input(body.Fresh("c_in"), [-1, h]);
        var previous = body.Input(body.Fresh("previous_in"), TensorProto.Types.DataType.Int64, [-1]);
        var done = body.Input(body.Fresh("done_in"), TensorProto.Types.DataType.Bool, [-1]);
        var word = body.Op("Gather", [emitter.Embedding, previous], [-1, spec.E], Attr.Int("axis", 0));
        var step = emitter.Cell.Step(body, emitter.Lstm, body.Add(body.MatMul(word, emitter.EmbeddingGatesT), latentTerm), hIn, cIn);
        var choice = choose(body, body.Add(emitter.Logits(body, step.H), mask), k);
        var emitted = body.Op("Where", [done, pad, choice], [-1]);
        var doneNext = body.Op("Or", [done, body.Op("Equal", [emitted, end], [-1])], [-1]);
        body.Output(condition, body.Fresh("cond_out"), TensorProto.Types.DataType.Bool);
        body.Output(step.H, body.Fresh("h_out"));
        body.Output(step.C, body.Fresh("c_out"));
        body.Output(emitted, body.Fresh("previous_out"), TensorProto.Types.DataType.Int64);
        body.Output(doneNext, body.Fresh("done_out"), TensorProto.Types.DataType.Bool);
        body.Output(emitted, body.Fresh("token"), TensorProto.Types.DataType.Int64);

        string[] outputs = [g.Fresh("h_last"), g.Fresh("c_last"), g.Fresh("previous_last"), g.Fresh("done_last"), g.Fresh("tokens_by_step")];
        g.Node("Loop", [g.Int64Scalar("L", maxLength).Name, g.BoolScalar("run", true).Name, h0.Name, TextDecoderEmitter.ZerosLike(g, h0).Name, start.Name, notDone.Name],
            outputs, Attr.Graph("body", body.Graph));
        return g.Op("Transpose", [new OnnxValue(outputs[4], [maxLength, -1])], [-1, maxLength], Attr.Ints("perm", 1, 0));
    }

    /// <summary>argmax over the vocabulary, the lowest index on ties: <c>[B, V]</c> → int64 <c>[B]</c>.</summary>
    public static OnnxValue Greedy(GraphBuilder b, OnnxValue maskedLogits) =>
        b.Op("ArgMax", [maskedLogits], [-1], Attr.Int("axis", 1), Attr.Int("keepdims", 0), Attr.Int("select_last_index", 0));

    /// <summary>
    /// The inverse-CDF draw of u = uniform[:, k] under softmax(logits / temperature): the count of cumulative probabilities
    /// ≤ u, clamped to V - 1 (masked tokens have probability 0, so they are never the first index whose cumulative
    /// probability exceeds u). Logits here are already masked with -inf, which the division keeps.
    /// </summary>
    public static OnnxValue InverseCdf(GraphBuilder b, OnnxValue maskedLogits, OnnxValue k, OnnxValue uniform, OnnxValue temperature, long vocabularySize)
    {
        var probabilities = b.Op("Softmax", [b.Op("Div", [maskedLogits, temperature], maskedLogits.Shape)], maskedLogits.Shape, Attr.Int("axis", 1));
        var cumulative = b.Op("CumSum", [probabilities, b.Int64Scalar("axis", 1)], maskedLogits.Shape);
        var u = b.Op("Unsqueeze", [b.Op("Gather", [uniform, k], [-1], Attr.Int("axis", 1)), b.Int64Constant("axes", [1])], [-1, 1]);
        var below = b.Op("Cast", [b.Op("LessOrEqual", [cumulative, u], maskedLogits.Shape)], maskedLogits.Shape, Attr.Int("to", (long)TensorProto.Types.DataType.Int64));
        var count = b.Op("ReduceSum", [below, b.Int64Constant("axes", [1])], [-1], Attr.Int("keepdims", 0));
        return b.Op("Min", [count, b.Int64Scalar("last_id", vocabularySize - 1)], [-1]);
    }
}
