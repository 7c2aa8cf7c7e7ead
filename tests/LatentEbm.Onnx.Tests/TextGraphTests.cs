using System.Text.Json;
using LatentEbm.Inference.Runtime;
using LatentEbm.Onnx.Graphs;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using Xunit.Abstractions;

namespace LatentEbm.Onnx.Tests;

/// <summary>
/// The text decoder's graphs (TextGraphs), emitted by the builder from the weights of text_cases.json, against PyTorch
/// float64 (autograd, central differences, the posterior chain and both decodings of text_onnx_cases.json) under ONNX Runtime.
/// Tolerances are float32's: relative 1e-5 for one evaluation, 1e-4 for a chain; a deliberately wrong input or weight is
/// shown to miss the same references by orders of magnitude more.
/// </summary>
public class TextGraphTests(ITestOutputHelper output)
{
    private const double Single = 1e-5, Chain = 1e-4, FarOff = 1e-2;

    public static TheoryData<int> LikelihoodCases() => [0, 1];

    private static JsonElement Likelihood(int index) => TextCases.Onnx.GetProperty("likelihood")[index];

    private static (double LogLikelihood, double Gradient) Errors(IReadOnlyDictionary<string, GraphOutput> result, JsonElement c, string gradientField) =>
        (Ort.RelativeError(result["log_likelihood"].Floats!, OracleSpec.Flat(c.GetProperty("log_likelihood"))),
         Ort.RelativeError(result["grad_z"].Floats!, OracleSpec.Flat(c.GetProperty(gradientField))));

    [Theory]
    [MemberData(nameof(LikelihoodCases))]
    public void LogLikelihoodAndItsGradientMatchFloat64AutogradAndCentralDifferences(int index)
    {
        var c = Likelihood(index);
        var spec = TextCases.Spec();
        var inputs = new[] { TextCases.FloatInput("z", c.GetProperty("z")), TextCases.TokenInput(c.GetProperty("tokens")) };

        var ll = Ort.Run(TextGraphs.LogLikelihood(spec), inputs)["log_likelihood"];
        Assert.Equal([c.GetProperty("z").GetArrayLength()], ll.Dims);
        double llErr = Ort.RelativeError(ll.Floats!, OracleSpec.Flat(c.GetProperty("log_likelihood")));
        output.WriteLine($"case {index}: log-likelihood relative error {llErr:E2}");
        Assert.True(llErr < Single, $"log-likelihood relative error {llErr:E2}");

        var both = Ort.Run(TextGraphs.LogLikelihoodGrad(spec), inputs);
        Assert.Equal([c.GetProperty("z").GetArrayLength(), TextCases.Nz], both["grad_z"].Dims);
        var (gradLlErr, autogradErr) = Errors(both, c, "grad_log_likelihood");
        var (_, differencesErr) = Errors(both, c, "central_difference_grad");
        output.WriteLine($"case {index}: gradient graph log-likelihood {gradLlErr:E2}, grad_z vs autograd {autogradErr:E2}, vs central differences {differencesErr:E2}");
        Assert.True(gradLlErr < Single, $"log-likelihood (gradient graph) relative error {gradLlErr:E2}");
        Assert.True(autogradErr < Single, $"grad_z vs autograd relative error {autogradErr:E2}");
        Assert.True(differencesErr < Single, $"grad_z vs central differences relative error {differencesErr:E2}");
    }

    [Fact]
    public void TheFirstCaseIsTextCasesJsonsOwn()
    {
        var c = Likelihood(0);
        Assert.Equal(OracleSpec.Flat(TextCases.Model.GetProperty("log_likelihood")), OracleSpec.Flat(c.GetProperty("log_likelihood")), (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal(OracleSpec.Flat(TextCases.Model.GetProperty("grad_log_likelihood")), OracleSpec.Flat(c.GetProperty("grad_log_likelihood")), (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void TokensShiftedByOneMissTheReferencesByFar()
    {
        var c = Likelihood(0);
        long[] tokens = TextCases.Longs(c.GetProperty("tokens"));
        long[] dims = TextCases.Dims(c.GetProperty("tokens"));
        var shifted = new long[tokens.Length]; // each row one to the left: reads w1 first, scores from w2, <pad> appended
        for (long b = 0; b < dims[0]; b++)
            for (long t = 0; t + 1 < dims[1]; t++) shifted[b * dims[1] + t] = tokens[b * dims[1] + t + 1];
        var result = Ort.Run(TextGraphs.LogLikelihoodGrad(TextCases.Spec()), TextCases.FloatInput("z", c.GetProperty("z")), GraphInput.Int64("tokens", shifted, dims));
        var (llErr, gradErr) = Errors(result, c, "grad_log_likelihood");
        output.WriteLine($"shifted tokens: log-likelihood error {llErr:E2}, gradient error {gradErr:E2}");
        Assert.True(llErr > FarOff && gradErr > FarOff, $"shifted tokens: log-likelihood error {llErr:E2}, gradient error {gradErr:E2}");
    }

    [Fact]
    public void SwappedInputAndForgetGatesMissTheReferencesByFar()
    {
        var weights = TextCases.Weights();
        int h = TextCases.H;
        foreach (var name in new[] { TextDecoderSpec.WeightIhName, TextDecoderSpec.WeightHhName, TextDecoderSpec.BiasIhName, TextDecoderSpec.BiasHhName })
        {
            var w = weights[name];
            int row = w.Length / (4 * h) * h; // values per gate block
            var swapped = (float[])w.Clone();
            Array.Copy(w, 0, swapped, row, row);
            Array.Copy(w, row, swapped, 0, row);
            weights[name] = swapped;
        }
        var c = Likelihood(0);
        var result = Ort.Run(TextGraphs.LogLikelihoodGrad(TextCases.Spec(weights)), TextCases.FloatInput("z", c.GetProperty("z")), TextCases.TokenInput(c.GetProperty("tokens")));
        var (llErr, gradErr) = Errors(result, c, "central_difference_grad");
        output.WriteLine($"swapped gates: log-likelihood error {llErr:E2}, gradient error {gradErr:E2}");
        Assert.True(llErr > FarOff && gradErr > FarOff, $"swapped gates: log-likelihood error {llErr:E2}, gradient error {gradErr:E2}");
    }

    [Fact]
    public void OneSessionTakesDifferentBatchSizesAndLengths()
    {
        using var session = Ort.Session(TextGraphs.LogLikelihoodGrad(TextCases.Spec()));
        foreach (int index in new[] { 0, 1, 0 })
        {
            var c = Likelihood(index);
            var result = Ort.Run(session, TextCases.FloatInput("z", c.GetProperty("z")), TextCases.TokenInput(c.GetProperty("tokens")));
            var (llErr, gradErr) = Errors(result, c, "grad_log_likelihood");
            output.WriteLine($"case {index} in one session: errors {llErr:E2}, {gradErr:E2}");
            Assert.True(llErr < Single && gradErr < Single, $"case {index}: errors {llErr:E2}, {gradErr:E2}");
        }
        Assert.NotEqual(TextCases.Dims(Likelihood(0).GetProperty("tokens")), TextCases.Dims(Likelihood(1).GetProperty("tokens")));
    }

    [Fact]
    public void TimeStepsRunInLoopsNotUnrolled()
    {
        var spec = TextCases.Spec();
        Assert.Contains(TextGraphs.LogLikelihood(spec).Graph.Node, n => n.OpType == "Loop");
        Assert.Equal(2, TextGraphs.LogLikelihoodGrad(spec).Graph.Node.Count(n => n.OpType == "Loop"));
        using var session = Ort.Session(TextGraphs.LogLikelihoodGrad(spec));
        Assert.Equal(TensorElementType.Int64, session.Session.InputMetadata["tokens"].ElementDataType);
        Assert.Equal([-1, -1], session.Session.InputMetadata["tokens"].Dimensions);
        Assert.Equal(["B", "T1"], session.Session.InputMetadata["tokens"].SymbolicDimensions);
        Assert.Equal([-1, TextCases.Nz], session.Session.InputMetadata["z"].Dimensions);
    }

    [Theory]
    [InlineData(ChainForm.Loop)]
    [InlineData(ChainForm.Unrolled)]
    public void ThePosteriorChainMatchesFloat64(ChainForm form)
    {
        var c = TextCases.Onnx.GetProperty("posterior_chain");
        double[] sizes = OracleSpec.Flat(c.GetProperty("step_sizes"));
        var zK = Ort.Run(TextGraphs.PosteriorLangevin(TextCases.Spec(), sizes, form),
            TextCases.FloatInput("z", c.GetProperty("z0")), TextCases.TokenInput(c.GetProperty("tokens")), TextCases.FloatInput("noise", c.GetProperty("noise")))["z_K"];
        double err = Ort.RelativeError(zK.Floats!, OracleSpec.Flat(c.GetProperty("zK")));
        output.WriteLine($"{form}: z_K relative error {err:E2}");
        Assert.True(err < Chain, $"z_K relative error {err:E2}");

        // The same chain with other step sizes lands elsewhere: the comparison can fail.
        var other = Ort.Run(TextGraphs.PosteriorLangevin(TextCases.Spec(), [.. sizes.Select(s => s * 1.1)], form),
            TextCases.FloatInput("z", c.GetProperty("z0")), TextCases.TokenInput(c.GetProperty("tokens")), TextCases.FloatInput("noise", c.GetProperty("noise")))["z_K"];
        double otherErr = Ort.RelativeError(other.Floats!, OracleSpec.Flat(c.GetProperty("zK")));
        output.WriteLine($"{form}: step sizes x1.1, z_K relative error {otherErr:E2}");
        Assert.True(otherErr > FarOff, $"step sizes x1.1: z_K relative error {otherErr:E2}");
    }

    [Fact]
    public void ThePosteriorChainWithWeightInputsMatchesFloat64WhenFedTheWeights()
    {
        var c = TextCases.Onnx.GetProperty("posterior_chain");
        double[] sizes = OracleSpec.Flat(c.GetProperty("step_sizes"));
        var spec = TextCases.Spec();
        var live = TextGraphs.PosteriorLangevinWithWeightInputs(spec, sizes);
        // One input per array: the nine decoder weights, the prior's three weights and its first two biases (the output bias
        // does not enter ∇f); none stored.
        Assert.Equal(9 + 5, live.Weights.Count);
        Assert.Equal(live.Weights.Count, live.Weights.Select(w => w.Source).Distinct(ReferenceEqualityComparer.Instance).Count());
        foreach (var array in new[] { spec.Embedding, spec.InitialWeight, spec.InitialBias, spec.WeightIh, spec.WeightHh, spec.BiasIh, spec.BiasHh, spec.ReadoutWeight, spec.ReadoutBias })
            Assert.Contains(live.Weights, w => ReferenceEquals(w.Source, array));
        Assert.DoesNotContain(live.Model.Graph.Initializer, i => i.Dims.Aggregate(1L, (a, b) => a * b) >= spec.H * spec.Nz);

        GraphInput[] Inputs(Func<WeightInput, float[]> values) =>
        [
            TextCases.FloatInput("z", c.GetProperty("z0")), TextCases.TokenInput(c.GetProperty("tokens")), TextCases.FloatInput("noise", c.GetProperty("noise")),
            .. live.Weights.Select(w => GraphInput.Float32(w.Name, values(w), w.Shape)),
        ];
        double err = Ort.RelativeError(Ort.Run(live.Model, Inputs(w => w.Source))["z_K"].Floats!, OracleSpec.Flat(c.GetProperty("zK")));
        output.WriteLine($"weights as inputs: z_K relative error {err:E2}");
        Assert.True(err < Chain, $"z_K relative error {err:E2}");

        // The graph reads the fed values: the read-out weights halved land elsewhere.
        var halved = Ort.Run(live.Model, Inputs(w => ReferenceEquals(w.Source, spec.ReadoutWeight) ? [.. w.Source.Select(x => x / 2)] : w.Source))["z_K"];
        double wrong = Ort.RelativeError(halved.Floats!, OracleSpec.Flat(c.GetProperty("zK")));
        output.WriteLine($"read-out weights halved: z_K relative error {wrong:E2}");
        Assert.True(wrong > FarOff, $"read-out weights halved: z_K relative error {wrong:E2}");
    }

    [Fact]
    public void GreedyDecodingMatchesExactlyForAnyBatchSize()
    {
        var d = TextCases.Onnx.GetProperty("decoding");
        int length = d.GetProperty("max_length").GetInt32();
        long[] expected = TextCases.Longs(d.GetProperty("greedy_tokens"));
        using var session = Ort.Session(TextGraphs.GreedyDecode(TextCases.DecodingSpec(), length));
        float[] z = OracleSpec.Floats(d.GetProperty("z"));
        int rows = d.GetProperty("z").GetArrayLength();
        var all = Ort.Run(session, GraphInput.Float32("z", z, rows, TextCases.Nz))["tokens"];
        Assert.Equal([rows, length], all.Dims);
        Assert.Equal(expected, all.Longs);
        var two = Ort.Run(session, GraphInput.Float32("z", z[(2 * TextCases.Nz)..(4 * TextCases.Nz)], 2, TextCases.Nz))["tokens"];
        Assert.Equal(expected[(2 * length)..(4 * length)], two.Longs);
        AssertEndsThenPads(all.Longs!, length);
    }

    [Fact]
    public void SampledDecodingMatchesExactlyGivenTheUniforms()
    {
        var d = TextCases.Onnx.GetProperty("decoding");
        int length = d.GetProperty("max_length").GetInt32();
        var result = Ort.Run(TextGraphs.SampleDecode(TextCases.DecodingSpec(), length), TextCases.FloatInput("z", d.GetProperty("z")),
            TextCases.FloatInput("uniform", d.GetProperty("uniform")), GraphInput.Float32("temperature", [(float)d.GetProperty("temperature").GetDouble()]))["tokens"];
        Assert.Equal(TextCases.Longs(d.GetProperty("sampled_tokens")), result.Longs);
        AssertEndsThenPads(result.Longs!, length);
        Assert.NotEqual(TextCases.Longs(d.GetProperty("greedy_tokens")), result.Longs);
    }

    /// <summary>Never &lt;s&gt;; &lt;pad&gt; only after &lt;/s&gt;, and always after it; some rows end early, some run to L.</summary>
    private static void AssertEndsThenPads(long[] tokens, int length)
    {
        int early = 0, full = 0;
        for (int row = 0; row < tokens.Length / length; row++)
        {
            var r = tokens.AsSpan(row * length, length).ToArray();
            Assert.DoesNotContain(TextDecoderSpec.StartId, r);
            int end = Array.IndexOf(r, TextDecoderSpec.EndId);
            if (end < 0) { Assert.DoesNotContain(TextDecoderSpec.PadId, r); full++; continue; }
            Assert.All(r[(end + 1)..], t => Assert.Equal(TextDecoderSpec.PadId, t));
            Assert.DoesNotContain(TextDecoderSpec.PadId, r[..end]);
            if (end < length - 1) early++;
        }
        Assert.True(early > 0 && full > 0, $"{early} rows end early, {full} run to L");
    }

    [Fact]
    public void TheSpecNamesAMissingUnknownOrMisshapenWeight()
    {
        var missing = TextCases.Weights();
        missing.Remove(TextDecoderSpec.WeightHhName);
        Assert.Contains("lstm.weight_hh_l0", Assert.Throws<ArgumentException>(() => TextCases.Spec(missing)).Message);

        var shortOne = TextCases.Weights();
        shortOne[TextDecoderSpec.InitialWeightName] = new float[TextCases.H * TextCases.Nz - 1];
        var e = Assert.Throws<ArgumentException>(() => TextCases.Spec(shortOne));
        Assert.Contains("initial.weight", e.Message);
        Assert.Contains($"[{TextCases.H}, {TextCases.Nz}]", e.Message);

        var extra = TextCases.Weights();
        extra["lstm.weight_ih_l1"] = [1f];
        Assert.Contains("lstm.weight_ih_l1", Assert.Throws<ArgumentException>(() => TextCases.Spec(extra)).Message);

        // Sizes that do not fit the arrays: every array is checked against them.
        Assert.Contains("embedding.weight", Assert.Throws<ArgumentException>(() =>
            new TextDecoderSpec(TextCases.V + 1, TextCases.Nz, TextCases.E, TextCases.H, TextCases.Weights(), TextCases.Prior(), 1)).Message);
    }

    [Fact]
    public void TheSpecAndTheGraphsNameABadSizeOrSetting()
    {
        var w = TextCases.Weights();
        var prior = TextCases.Prior();
        int v = TextCases.V, nz = TextCases.Nz, emb = TextCases.E, h = TextCases.H;
        Assert.Equal("vocabularySize", Assert.Throws<ArgumentOutOfRangeException>(() => new TextDecoderSpec(4, nz, emb, h, w, prior, 1)).ParamName);
        Assert.Equal("hiddenSize", Assert.Throws<ArgumentOutOfRangeException>(() => new TextDecoderSpec(v, nz, emb, 0, w, prior, 1)).ParamName);
        Assert.Equal("sigma0", Assert.Throws<ArgumentOutOfRangeException>(() => new TextDecoderSpec(v, nz, emb, h, w, prior, 0)).ParamName);
        Assert.Equal("sigma0", Assert.Throws<ArgumentOutOfRangeException>(() => new TextDecoderSpec(v, nz, emb, h, w, prior, double.NaN)).ParamName);
        var wrongPrior = new Layers.Network([new Layers.Linear(nz + 1, 1, new float[nz + 1], [0f])], [nz + 1]);
        Assert.Contains($"[B, {nz}]", Assert.Throws<OnnxExportException>(() => new TextDecoderSpec(v, nz, emb, h, w, wrongPrior, 1)).Message);

        var spec = TextCases.Spec();
        Assert.Equal("maxLength", Assert.Throws<ArgumentOutOfRangeException>(() => TextGraphs.GreedyDecode(spec, 0)).ParamName);
        Assert.Equal("maxLength", Assert.Throws<ArgumentOutOfRangeException>(() => TextGraphs.SampleDecode(spec, -1)).ParamName);
        Assert.Equal("stepSizes", Assert.Throws<ArgumentException>(() => TextGraphs.PosteriorLangevin(spec, [])).ParamName);
        var bad = Assert.Throws<ArgumentException>(() => TextGraphs.PosteriorLangevin(spec, [0.8, double.PositiveInfinity, 0.05]));
        Assert.Equal("stepSizes", bad.ParamName);
        Assert.Contains("step size 1", bad.Message);
        Assert.Contains("step size 2", Assert.Throws<ArgumentException>(() => TextGraphs.PosteriorLangevin(spec, [0.8, 0.4, 0])).Message);

        Assert.Contains("tokens", Assert.Throws<OnnxExportException>(() =>
            new GraphBuilder("g").Input("tokens", TensorProto.Types.DataType.Int64, [-1, -1], GraphBuilder.BatchDimension)).Message);
        Assert.Equal("weightHh", Assert.Throws<ArgumentException>(() => new Layers.LstmCell(3, 2, new float[24], new float[15], new float[8], new float[8])).ParamName);
    }

    [Fact]
    public void AnInputOfAWrongShapeOrTypeIsRefusedByName()
    {
        var c = Likelihood(0);
        var spec = TextCases.Spec();
        var tokens = TextCases.TokenInput(c.GetProperty("tokens"));
        using var session = Ort.Session(TextGraphs.LogLikelihoodGrad(spec));

        var wideZ = GraphInput.Float32("z", new float[3 * (TextCases.Nz + 1)], 3, TextCases.Nz + 1);
        var error = Assert.Throws<GraphInputException>(() => Ort.Run(session, wideZ, tokens));
        Assert.Equal("z", error.Input);
        Assert.Contains($"dimension 1 is {TextCases.Nz + 1}, expected {TextCases.Nz}", error.Message);
        var flatTokens = GraphInput.Int64("tokens", TextCases.Longs(c.GetProperty("tokens")), TextCases.Longs(c.GetProperty("tokens")).Length);
        Assert.Equal("tokens", Assert.Throws<GraphInputException>(() => Ort.Run(session, TextCases.FloatInput("z", c.GetProperty("z")), flatTokens)).Input);
        var floatTokens = GraphInput.Float32("tokens", OracleSpec.Floats(c.GetProperty("tokens")), TextCases.Dims(c.GetProperty("tokens")));
        error = Assert.Throws<GraphInputException>(() => Ort.Run(session, TextCases.FloatInput("z", c.GetProperty("z")), floatTokens));
        Assert.Equal("input 'tokens': float32 given, the graph takes int64", error.Message);

        var chain = TextCases.Onnx.GetProperty("posterior_chain");
        using var chainSession = Ort.Session(TextGraphs.PosteriorLangevin(spec, [0.8, 0.4]));
        var noise = TextCases.FloatInput("noise", chain.GetProperty("noise")); // 3 steps' noise for a 2-step chain
        Assert.Equal("noise", Assert.Throws<GraphInputException>(() =>
            Ort.Run(chainSession, TextCases.FloatInput("z", chain.GetProperty("z0")), TextCases.TokenInput(chain.GetProperty("tokens")), noise)).Input);

        // Values the graph cannot take: an id outside [0, V) (the CPU provider checks Gather's indices), and T1 = 1 (no target).
        var z = TextCases.FloatInput("z", c.GetProperty("z"));
        Assert.Throws<OnnxRuntimeException>(() => Ort.Run(session, z, GraphInput.Int64("tokens", [2, 3, 2, 4, 2, TextCases.V], 3, 2)));
        Assert.Throws<OnnxRuntimeException>(() => Ort.Run(session, z, GraphInput.Int64("tokens", [2, 2, 2], 3, 1)));
    }
}
