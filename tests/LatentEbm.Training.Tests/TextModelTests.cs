using System.Text.Json;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Model;
using LatentEbm.Training.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>
/// The text latent EBM's decoder likelihood and chain gradients against PyTorch float64 autograd
/// (tests/fixtures/text_cases.json, written by make_text_cases.py) and against float64 central differences.
/// </summary>
public class TextModelTests
{
    private static readonly JsonElement Case = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("text_cases.json"))).RootElement;

    public TextModelTests() => TorchTestSetup.Init();

    /// <summary>The model of text_cases.json in <paramref name="dtype"/>, decoder in evaluation mode.</summary>
    internal static TextLatentEbm Model(ScalarType dtype, bool swapInputAndForgetGates = false)
    {
        var decoder = new TextDecoder(Case.GetProperty("vocabulary_size").GetInt32(), Case.GetProperty("nz").GetInt32(),
            Case.GetProperty("embedding").GetInt32(), Case.GetProperty("hidden").GetInt32(), dropoutRate: 0.5);
        decoder.to(float64);
        var weights = Case.GetProperty("weights");
        using (no_grad())
            foreach (var (name, parameter) in decoder.named_parameters())
            {
                var value = OracleModels.Tensor(weights.GetProperty(name));
                if (swapInputAndForgetGates && name.StartsWith("lstm.", StringComparison.Ordinal))
                {
                    long h = value.shape[0] / 4; // gates i, f, g, o along the first axis
                    value = cat([value.narrow(0, h, h), value.narrow(0, 0, h), value.narrow(0, 2 * h, 2 * h)], 0);
                }
                parameter.copy_(value);
            }
        var layers = Case.GetProperty("prior").EnumerateArray().ToArray();
        var prior = new PriorEnergyMlp([Case.GetProperty("nz").GetInt32(), 6, 6, 1], "leaky_relu");
        prior.to(float64);
        using (no_grad())
            for (int i = 0; i < layers.Length; i++)
            {
                prior.Linears[i].weight!.copy_(OracleModels.Tensor(layers[i].GetProperty("weight")));
                prior.Linears[i].bias!.copy_(OracleModels.Tensor(layers[i].GetProperty("bias")));
            }
        decoder.to(dtype);
        prior.to(dtype);
        decoder.eval();
        return new TextLatentEbm(prior, decoder, Case.GetProperty("sigma0").GetDouble());
    }

    private static Tensor Tokens() => OracleModels.Tensor(Case.GetProperty("tokens")).to(int64);

    private static double MaxError(Tensor actual, JsonElement expected) =>
        (actual.to(float64) - OracleModels.Tensor(expected)).abs().max().ToDouble();

    [Fact]
    public void TheDecodersLogLikelihoodAndTheChainGradientsMatchPyTorchFloat64Autograd()
    {
        var model = Model(float64);
        var z = OracleModels.Tensor(Case.GetProperty("z"));
        var tokens = Tokens();
        using (no_grad())
        {
            Assert.True(MaxError(model.Decoder.LogLikelihood(z, tokens), Case.GetProperty("log_likelihood")) < 1e-12);
            Assert.True(MaxError(model.Prior.forward(z), Case.GetProperty("f")) < 1e-12);
        }
        Assert.True(MaxError(model.GradLogLikelihood(z, tokens), Case.GetProperty("grad_log_likelihood")) < 1e-11);
        Assert.True(MaxError(model.GradLogPrior(z), Case.GetProperty("grad_log_prior")) < 1e-11);
        Assert.True(MaxError(model.GradLogPosterior(z, tokens), Case.GetProperty("grad_log_posterior")) < 1e-11);

        // float32 weights and latents: float32 rounding only.
        var single = Model(float32);
        Assert.True(MaxError(single.GradLogPosterior(z.to(float32), tokens), Case.GetProperty("grad_log_posterior")) < 1e-4);
    }

    [Fact]
    public void TheOracleComparisonCatchesAWrongGateOrder()
    {
        // Loading the LSTM with its input and forget gates swapped must fail the comparison above by far.
        var wrong = Model(float64, swapInputAndForgetGates: true);
        var z = OracleModels.Tensor(Case.GetProperty("z"));
        using var noGrad = no_grad();
        Assert.True(MaxError(wrong.Decoder.LogLikelihood(z, Tokens()), Case.GetProperty("log_likelihood")) > 1e-2);
    }

    [Fact]
    public void ThePosteriorGradientIsTheCentralDifferenceOfTheLogJoint()
    {
        var model = Model(float64);
        var z = OracleModels.Tensor(Case.GetProperty("z"));
        var tokens = Tokens();
        var gradient = model.GradLogPosterior(z, tokens);
        const double h = 1e-5;
        using var noGrad = no_grad();
        for (int b = 0; b < z.shape[0]; b++)
            for (int i = 0; i < z.shape[1]; i++)
            {
                var up = z.clone(); up[b, i] += h;
                var down = z.clone(); down[b, i] -= h;
                double numeric = (model.UnnormalisedLogJoint(up, tokens)[b].ToDouble() - model.UnnormalisedLogJoint(down, tokens)[b].ToDouble()) / (2 * h);
                Assert.True(Math.Abs(numeric - gradient[b, i].ToDouble()) < 1e-7, $"row {b}, latent {i}: {numeric} against {gradient[b, i].ToDouble()}");
            }
    }

    [Fact]
    public void ChainsRunTheDecoderWithoutDropoutAndLeaveItsModeAsItWas()
    {
        var model = Model(float64);
        var z = OracleModels.Tensor(Case.GetProperty("z"));
        var tokens = Tokens();
        model.Decoder.train();
        var first = model.GradLogPosterior(z, tokens);
        var second = model.GradLogPosterior(z, tokens);
        Assert.True(model.Decoder.training);
        Assert.True(MaxError(first, Case.GetProperty("grad_log_posterior")) < 1e-11);
        Assert.Equal(0, (first - second).abs().max().ToDouble());
        using var noGrad = no_grad();
        var withDropout = model.Decoder.LogLikelihood(z, tokens); // training mode: dropout acts
        Assert.True(MaxError(withDropout, Case.GetProperty("log_likelihood")) > 1e-3);
    }

    [Fact]
    public void SentencesBecomeStartWordsEndAndPadding()
    {
        var tokens = SentenceBatch.Tokens([[7, 8, 9], [5]]);
        Assert.Equal([2L, 5], tokens.shape);
        Assert.Equal([2L, 7, 8, 9, 3, 2, 5, 3, 0, 0], tokens.data<long>().ToArray());
        Assert.Throws<ArgumentException>(() => SentenceBatch.Tokens([[1], []]));
    }

    [Fact]
    public void GreedyDecodingMatchesPyTorchFloat64GreedyDecodes()
    {
        // text_onnx_cases.json (make_text_onnx_cases.py): the same model with the </s> read-out bias raised, greedy tokens of
        // L = 10 steps (</s>, then <pad>); Decode returns the words before </s>.
        var decoding = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("text_onnx_cases.json"))).RootElement.GetProperty("decoding");
        var model = Model(float64);
        var z = OracleModels.Tensor(decoding.GetProperty("z"));
        int length = decoding.GetProperty("max_length").GetInt32();
        int[][] Expected() => [.. decoding.GetProperty("greedy_tokens").EnumerateArray()
            .Select(row => row.EnumerateArray().Select(t => t.GetInt32()).TakeWhile(t => t != 3).ToArray())];
        Assert.True(decoding.GetProperty("greedy_min_logit_gap").GetDouble() > 1e-3); // no near-ties: float64 decides them alike

        var wrong = model.Decoder.Decode(z, length);
        Assert.NotEqual(Expected(), wrong); // without the fixture's bias the decodes differ: the comparison can fail

        using (no_grad()) model.Decoder.get_parameter("readout.bias")!.copy_(OracleModels.Tensor(decoding.GetProperty("readout_bias")));
        Assert.Equal(Expected(), model.Decoder.Decode(z, length));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Decoder.Decode(z, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Decoder.Decode(z, 5, new TorchSharp.torch.Generator(1), temperature: 0));
    }
}
