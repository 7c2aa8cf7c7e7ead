using System.Text.Json;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Sampling;
using LatentEbm.Training.Text;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>
/// The text posterior chain on ONNX Runtime with the live TorchSharp parameters (<see cref="OnnxRuntimeTextChains"/>)
/// against the PyTorch float64 chain of tests/fixtures/text_onnx_cases.json (make_text_onnx_cases.py: the model of
/// text_cases.json, 3 steps of 0.8, 0.425, 0.05, the noise given), loaded into a float32 <see cref="TextDecoder"/>.
/// Errors are the largest absolute error over z_K relative to the reference's largest magnitude.
/// </summary>
public class OnnxRuntimeTextChainTests(ITestOutputHelper output)
{
    private const double Float32Chain = 1e-4, FarOff = 1e-2;
    private static readonly JsonElement Chain =
        JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("text_onnx_cases.json"))).RootElement.GetProperty("posterior_chain");

    private readonly ITestOutputHelper output = Init(output);

    private static ITestOutputHelper Init(ITestOutputHelper output)
    {
        TorchTestSetup.Init();
        return output;
    }

    private static Tensor Tokens() => OracleModels.Tensor(Chain.GetProperty("tokens")).to(int64);
    private static Tensor Z0() => OracleModels.Tensor(Chain.GetProperty("z0")).to(float32);
    private static Tensor Noise() => OracleModels.Tensor(Chain.GetProperty("noise")).to(float32);
    private static double[] StepSizes() => [.. Chain.GetProperty("step_sizes").EnumerateArray().Select(e => e.GetDouble())];

    private static double RelativeError(Tensor actual, Tensor reference) =>
        (actual.to(float64) - reference.to(float64)).abs().max().ToDouble() / reference.abs().max().ToDouble();

    /// <summary>The TorchSharp chain of the same model (autograd per step), for comparison.</summary>
    private static Tensor TorchChain(TextLatentEbm model, Tensor tokens) =>
        LangevinSampler.Run(Z0(), StepSizes(), new ScriptedNoise(Noise()), z => model.GradLogPosterior(z, tokens));

    [Fact]
    public void TheChainWithLiveWeightsMatchesPyTorchFloat64AndIgnoresDropout()
    {
        var model = TextModelTests.Model(float32);
        model.Decoder.train(); // the chain is the evaluation-mode decoder's whatever the mode, as GradLogPosterior
        using var chains = new OnnxRuntimeTextChains(model, threads: 1);
        var reference = OracleModels.Tensor(Chain.GetProperty("zK"));
        using var zK = chains.PosteriorChain(Tokens(), Z0(), Noise(), StepSizes());
        Assert.Equal(float32, zK.dtype);
        Assert.Equal([3L, 3L], zK.shape);
        double err = RelativeError(zK, reference), torchErr = RelativeError(TorchChain(model, Tokens()), reference);
        output.WriteLine($"z_K relative error: ONNX Runtime {err:E2}, TorchSharp float32 {torchErr:E2}");
        Assert.True(err < Float32Chain, $"z_K relative error {err:E2}");

        // Wrong inputs land far off: every word id moved to the next word (<s>, </s>, <pad> kept), or the tokens of the
        // first sentence shifted one position left (the decoder then scores the wrong next words).
        var tokens = Tokens();
        long v = model.Decoder.VocabularySize;
        var nextWord = where(tokens.ge(4), (tokens - 4 + 1).remainder(v - 4) + 4, tokens);
        using var wrongWords = chains.PosteriorChain(nextWord, Z0(), Noise(), StepSizes());
        var shifted = tokens.clone();
        shifted[0] = cat([tensor(new long[] { 2 }), tokens[0].narrow(0, 2, tokens.shape[1] - 2), tensor(new long[] { 0 })]);
        using var wrongOrder = chains.PosteriorChain(shifted, Z0(), Noise(), StepSizes());
        double wordsErr = RelativeError(wrongWords, reference), orderErr = RelativeError(wrongOrder, reference);
        output.WriteLine($"next word ids: {wordsErr:E2}; first sentence shifted: {orderErr:E2}");
        Assert.True(wordsErr > FarOff, $"next word ids: z_K relative error {wordsErr:E2}");
        Assert.True(orderErr > FarOff, $"first sentence shifted: z_K relative error {orderErr:E2}");
    }

    [Fact]
    public void AnAdamUpdateBetweenRunsIsSeenByTheNextRun()
    {
        var model = TextModelTests.Model(float32);
        using var chains = new OnnxRuntimeTextChains(model, threads: 1);
        var tokens = Tokens();
        using var before = chains.PosteriorChain(tokens, Z0(), Noise(), StepSizes());

        // One Adam step on both networks, as a training iteration makes (in place: the same tensors the chain reads).
        var decoderAdam = optim.Adam(model.Decoder.parameters(), 0.05, 0.5, 0.999);
        var priorAdam = optim.Adam(model.Prior.parameters(), 0.05, 0.5, 0.999);
        decoderAdam.zero_grad(); priorAdam.zero_grad();
        (-model.Decoder.LogLikelihood(before, tokens).mean() - model.Prior.forward(before).mean()).backward();
        decoderAdam.step(); priorAdam.step();

        using var after = chains.PosteriorChain(tokens, Z0(), Noise(), StepSizes());
        using var torchAfter = TorchChain(model, tokens);
        double err = RelativeError(after, torchAfter), stale = RelativeError(before, torchAfter);
        output.WriteLine($"after the update, against TorchSharp's chain: ONNX Runtime {err:E2}; the run before the update (stale weights) {stale:E2}");
        Assert.True(err < Float32Chain, $"after the update: z_K relative error {err:E2} against the TorchSharp chain");
        Assert.True(stale > FarOff, $"stale weights: z_K relative error {stale:E2}");
    }

    [Fact]
    public void BadInputsAreNamed()
    {
        var model = TextModelTests.Model(float32);
        using var chains = new OnnxRuntimeTextChains(model, threads: 1);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => chains.PosteriorChain(Tokens().to(float32), Z0(), Noise(), StepSizes())).Message);
        Assert.Contains("the noise must be [2, 3, 3]", Assert.Throws<ArgumentException>(() => chains.PosteriorChain(Tokens(), Z0(), Noise(), [0.8, 0.4])).Message);
        Assert.Contains("the start must be float32", Assert.Throws<ArgumentException>(() => chains.PosteriorChain(Tokens(), Z0().to(float64), Noise(), StepSizes())).Message);
        Assert.Contains("the tokens must be [3, T + 1]", Assert.Throws<ArgumentException>(() => chains.PosteriorChain(Tokens().narrow(0, 0, 2), Z0(), Noise(), StepSizes())).Message);
        Assert.Throws<NotSupportedException>(() => new OnnxRuntimeTextChains(TextModelTests.Model(float64), threads: 1));
    }
}
