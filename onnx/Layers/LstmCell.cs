namespace LatentEbm.Onnx.Layers;

/// <summary>
/// One step of a one-layer LSTM in PyTorch's convention (gate rows i, f, g, o; PAPER.md, "Text model"), emitted as ONNX
/// nodes, with its vector-Jacobian product for backpropagation through time:
/// a = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh <c>[B, 4H]</c>; i, f, o = σ(a_i, a_f, a_o), g = tanh(a_g);
/// c' = f c + i g; h' = o tanh(c').
/// The input projection x W_ihᵀ + b_ih + b_hh is the caller's (it may be computed for every step at once, or in parts).
/// </summary>
public sealed class LstmCell
{
    /// <summary>Creates the cell from PyTorch's <c>weight_ih [4H, in]</c>, <c>weight_hh [4H, H]</c>, <c>bias_ih</c>, <c>bias_hh [4H]</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    /// <exception cref="ArgumentException">An array's length disagrees with the sizes (named).</exception>
    public LstmCell(int inputSize, int hiddenSize, float[] weightIh, float[] weightHh, float[] biasIh, float[] biasHh)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        void Check(float[] a, long n, string name)
        {
            if (a is null || a.Length != n) throw new ArgumentException($"LSTM({inputSize}, {hiddenSize}): {name} has {a?.Length} values, expected {n}", name);
        }
        Check(weightIh, 4L * hiddenSize * inputSize, nameof(weightIh));
        Check(weightHh, 4L * hiddenSize * hiddenSize, nameof(weightHh));
        Check(biasIh, 4L * hiddenSize, nameof(biasIh));
        Check(biasHh, 4L * hiddenSize, nameof(biasHh));
        InputSize = inputSize; HiddenSize = hiddenSize; WeightIh = weightIh; WeightHh = weightHh; BiasIh = biasIh; BiasHh = biasHh;
    }

    /// <summary>Input features.</summary>
    public int InputSize { get; }
    /// <summary>H.</summary>
    public int HiddenSize { get; }
    /// <summary><c>[4H, in]</c>.</summary>
    public float[] WeightIh { get; }
    /// <summary><c>[4H, H]</c>.</summary>
    public float[] WeightHh { get; }
    /// <summary><c>[4H]</c>.</summary>
    public float[] BiasIh { get; }
    /// <summary><c>[4H]</c>.</summary>
    public float[] BiasHh { get; }

    /// <summary>
    /// Emits, in <paramref name="g"/> (outside any Loop body, so that it runs once), the weights in the forms the steps use:
    /// W_hhᵀ, W_hh and b_ih + b_hh.
    /// </summary>
    public LstmWeights Prepare(GraphBuilder g)
    {
        long h4 = 4L * HiddenSize;
        var whh = g.Weight("lstm_weight_hh", WeightHh, [h4, HiddenSize]);
        var whhT = g.Op("Transpose", [whh], [HiddenSize, h4], Attr.Ints("perm", 1, 0));
        var bias = g.Add(g.Weight("lstm_bias_ih", BiasIh, [h4]), g.Weight("lstm_bias_hh", BiasHh, [h4]));
        return new LstmWeights(whhT, whh, bias);
    }

    /// <summary>Columns [start, end) of W_ih, <c>[4H, end - start]</c>, or their transpose <c>[end - start, 4H]</c>: the weights of one part of the input.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not 0 ≤ start &lt; end ≤ input size.</exception>
    public OnnxValue InputColumns(GraphBuilder g, long start, long end, bool transposed)
    {
        if (start < 0 || end <= start || end > InputSize) throw new ArgumentOutOfRangeException(nameof(end), $"columns [{start}, {end}) of {InputSize}");
        long h4 = 4L * HiddenSize;
        var wih = g.Weight("lstm_weight_ih", WeightIh, [h4, InputSize]);
        var columns = g.Op("Slice", [wih, g.Int64Constant("starts", [start]), g.Int64Constant("ends", [end]), g.Int64Constant("axes", [1])], [h4, end - start]);
        return transposed ? g.Op("Transpose", [columns], [end - start, h4], Attr.Ints("perm", 1, 0)) : columns;
    }

    /// <summary>Emits one step from the input projection <paramref name="inputGates"/> <c>[B, 4H]</c> and the state h, c <c>[B, H]</c>.</summary>
    public LstmStep Step(GraphBuilder g, LstmWeights w, OnnxValue inputGates, OnnxValue h, OnnxValue c)
    {
        var a = g.Add(inputGates, g.MatMul(h, w.WhhT));
        long[] gate = [a.Shape[0], HiddenSize];
        string[] parts = [g.Fresh("a_i"), g.Fresh("a_f"), g.Fresh("a_g"), g.Fresh("a_o")];
        g.Node("Split", [a.Name], parts, Attr.Int("axis", 1));
        var i = g.Unary("Sigmoid", new OnnxValue(parts[0], gate));
        var f = g.Unary("Sigmoid", new OnnxValue(parts[1], gate));
        var gg = g.Unary("Tanh", new OnnxValue(parts[2], gate));
        var o = g.Unary("Sigmoid", new OnnxValue(parts[3], gate));
        var cNext = g.Add(g.Mul(f, c), g.Mul(i, gg));
        var tanhC = g.Unary("Tanh", cNext);
        return new LstmStep(new LstmSaved(i, f, gg, o, c, tanhC), cNext, g.Mul(o, tanhC));
    }

    /// <summary>
    /// Emits the step's VJP. Given dh = ∂L/∂h' <c>[B, H]</c> (read-out and later steps) and the part of ∂L/∂c' that flows
    /// from the next step (<paramref name="dcFromNext"/>, that step's dc f), returns ∂L/∂a <c>[B, 4H]</c> (gate order i, f, g, o),
    /// ∂L/∂h = ∂L/∂a W_hh and the part of ∂L/∂c to pass back, dc' f. The input's gradient is ∂L/∂a W_ih, the caller's.
    /// </summary>
    public (OnnxValue DGates, OnnxValue DhPrevious, OnnxValue DcToPrevious) Backward(GraphBuilder g, LstmWeights w, LstmSaved s, OnnxValue dh, OnnxValue dcFromNext)
    {
        var one = g.Scalar(1f);
        OnnxValue SigmoidDerivative(OnnxValue y) => g.Mul(y, g.Sub(one, y));
        var dc = g.Add(g.Mul(g.Mul(dh, s.O), g.Sub(one, g.Mul(s.TanhC, s.TanhC))), dcFromNext);
        var di = g.Mul(g.Mul(dc, s.G), SigmoidDerivative(s.I));
        var df = g.Mul(g.Mul(dc, s.CPrevious), SigmoidDerivative(s.F));
        var dg = g.Mul(g.Mul(dc, s.I), g.Sub(one, g.Mul(s.G, s.G)));
        var dO = g.Mul(g.Mul(dh, s.TanhC), SigmoidDerivative(s.O));
        var da = g.Op("Concat", [di, df, dg, dO], [dh.Shape[0], 4L * HiddenSize], Attr.Int("axis", 1));
        return (da, g.MatMul(da, w.Whh), g.Mul(dc, s.F));
    }
}

/// <summary>The LSTM's weights as the steps use them (<see cref="LstmCell.Prepare"/>).</summary>
/// <param name="WhhT">W_hhᵀ <c>[H, 4H]</c>.</param>
/// <param name="Whh">W_hh <c>[4H, H]</c>.</param>
/// <param name="Bias">b_ih + b_hh <c>[4H]</c>.</param>
public sealed record LstmWeights(OnnxValue WhhT, OnnxValue Whh, OnnxValue Bias);

/// <summary>What a step's VJP needs of its forward pass, each <c>[B, H]</c>: the activated gates, the previous cell state and tanh(c').</summary>
public sealed record LstmSaved(OnnxValue I, OnnxValue F, OnnxValue G, OnnxValue O, OnnxValue CPrevious, OnnxValue TanhC);

/// <summary>A step's outputs: the saved activations, the new cell state c' and hidden state h' <c>[B, H]</c>.</summary>
public sealed record LstmStep(LstmSaved Saved, OnnxValue C, OnnxValue H);
