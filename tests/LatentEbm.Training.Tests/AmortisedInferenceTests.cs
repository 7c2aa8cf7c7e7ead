using LatentEbm.Inference;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Runtime;
using LatentEbm.Inference.Sampling;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Evaluation;
using LatentEbm.Training.Export;
using LatentEbm.Training.Sampling;
using TorchSharp;
using Xunit.Abstractions;
using static LatentEbm.Training.Tests.AmortisedExportTests;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>
/// The inference library (ONNX Runtime) on a bundle with an encoder: posterior chains start at mu(x) and refine it as the
/// training code's test-time rule does (<see cref="AnomalyScorer.PosteriorSample"/>, compared in float32 with the same
/// noise), unless the chain settings force noise; a bundle without an encoder is unchanged and refuses the encoder start.
/// </summary>
public class AmortisedInferenceTests
{
    private readonly ITestOutputHelper output;

    public AmortisedInferenceTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchTestSetup.Init();
    }

    [Fact]
    public void TheLibraryStartsAtTheEncoderAsTheTrainingCodesTestTimeRuleDoes()
    {
        // AnomalyScorer.PosteriorSample is the training side's test-time rule: mu(x), then EncoderSteps steps.
        const int n = 24, seed = 9;
        var pixels = Images(n);
        using var inference = LatentEbmInference.Open(TinyAmortisedBundle.Bundle, new ExecutionOptions(ExecutionProvider.Cpu, IntraOpThreads: 1));
        Assert.True(inference.HasEncoder);
        var (model, config, scope) = Load(float32);
        using var _ = scope;
        using var x = tensor(pixels, [n, 1, 28, 28]);
        using var rng = new torch.Generator(1);
        int k = config.Score.EncoderSteps;

        // Noiseless (the manifest's choice, score.noise false): the same latents and scores.
        Assert.False(inference.Manifest.Score.Noise);
        using var torchZ = AnomalyScorer.PosteriorSample(model, x, config.Score, rng, noise: null);
        var latents = inference.InferLatents(pixels, n, seed);
        output.WriteLine($"noiseless latents: relative error {RelativeError(latents, torchZ):E2} against AnomalyScorer.PosteriorSample (float32)");
        Assert.InRange(RelativeError(latents, torchZ), 0, 1e-5);
        Assert.Equal(latents, inference.InferLatents(pixels, n, seed + 1)); // noiseless from mu(x): the seed does not matter
        var scores = inference.Score(pixels, n, seed);
        var w = inference.Manifest.Score;
        using (no_grad())
        {
            using var expected = (x - model.Generator.forward(torchZ)).square().flatten(1).sum(1) * w.ReconstructionWeight
                                 - model.Prior.forward(torchZ) * w.EnergyWeight + torchZ.square().sum(1) * w.LatentNormWeight;
            Assert.InRange(RelativeError(scores, expected), 0, 1e-5);
            using var decoded = model.Generator.forward(torchZ);
            Assert.InRange(RelativeError(inference.Reconstruct(pixels, n, seed), decoded), 0, 1e-5);
        }

        // With noise: row j's K steps' eps come from stream j of the seed, the first draws of that stream.
        var eps = new float[k * n * 4];
        for (int row = 0; row < n; row++)
        {
            var stream = new GaussianStream(seed, (ulong)row, NoiseDomain.PosteriorChain);
            for (int step = 0; step < k; step++) stream.Fill(eps.AsSpan((step * n + row) * 4, 4));
        }
        using var torchNoisy = AnomalyScorer.PosteriorSample(model, x, config.Score, rng, new ScriptedNoise(tensor(eps, [k, n, 4])));
        var noisyLatents = inference.InferLatents(pixels, n, seed, new ChainSettings(Noise: true));
        output.WriteLine($"noisy latents: relative error {RelativeError(noisyLatents, torchNoisy):E2} against the same rule with the streams' noise");
        Assert.InRange(RelativeError(noisyLatents, torchNoisy), 0, 1e-5);
        Assert.True(RelativeError(noisyLatents, torchZ) > 1e-3, "noise changed the chain");

        // Forcing noise runs the paper's chain instead: z0 ~ N(0, sigma0² I), score.steps steps; another answer.
        var fromNoise = inference.InferLatents(pixels, n, seed, new ChainSettings(Start: PosteriorStartMode.Noise));
        output.WriteLine($"noise-forced chain: {RelativeError(fromNoise, torchZ):E2} away from the encoder-started one");
        Assert.True(RelativeError(fromNoise, torchZ) > 1e-2, "the noise-started chain ended where the encoder-started one did");
        Assert.Equal(fromNoise, inference.InferLatents(pixels, n, seed, new ChainSettings(Start: PosteriorStartMode.Noise)));
        Assert.Equal(latents, inference.InferLatents(pixels, n, seed, new ChainSettings(Start: PosteriorStartMode.Encoder)));
        // The encoder's own output, deterministic.
        var (mean, logVariance) = inference.Encode(pixels, n);
        using var torchMean = model.Encoder!.Mean(x);
        Assert.InRange(RelativeError(mean, torchMean), 0, 1e-5);
        Assert.Equal(n * 4, logVariance.Length);
    }

    [Fact]
    public void MoreRoundsContinueFromTheAmortisedChainWithThePosteriorChain()
    {
        const int n = 16, seed = 2;
        var pixels = Images(n);
        using var inference = LatentEbmInference.Open(TinyAmortisedBundle.Bundle, new ExecutionOptions(ExecutionProvider.Cpu, IntraOpThreads: 1));
        var first = inference.InferLatents(pixels, n, seed);
        var two = inference.InferLatents(pixels, n, seed, new ChainSettings(Rounds: 2));
        // Round 2 is the bundle's posterior_langevin graph from round 1's end point (noiseless: zero noise).
        int k = inference.Manifest.Files.First(f => f.Role == BundleRoles.PosteriorLangevin).Steps!.Value;
        using var bundle = ModelBundle.Open(TinyAmortisedBundle.Bundle);
        var expected = bundle.Run(BundleRoles.PosteriorLangevin, ("x", pixels, [n, 1, 28, 28]), ("z", first, [n, 4]),
            ("noise", new float[k * n * 4], [k, n, 4]), ("step_size", [(float)inference.Manifest.Score.StepSize], []))["z_out"].Data;
        AssertClose(expected, two);
        // A batch of requests equals each alone, from the encoder too, noise on.
        var noisy = new ChainSettings(Noise: true, Rounds: 2);
        ImageRequest[] requests = [new(pixels[..(3 * 784)], 3, 11), new(pixels[(3 * 784)..(4 * 784)], 1, 12, FirstStream: 5)];
        var batched = inference.InferLatentsBatch(requests, noisy);
        for (int i = 0; i < requests.Length; i++)
        {
            var alone = inference.InferLatentsBatch([requests[i]], noisy)[0];
            AssertClose(alone, batched[i]);
        }
    }


    [Fact]
    public void ABundleWithoutAnEncoderStartsFromNoiseAndRefusesTheEncoderStart()
    {
        string folder = Path.Combine(TestPaths.NewTempFolder(), "plain");
        BundleExporter.Export(SmallRuns.TinyDigit4Run.Value, folder, ChainForm.Loop, [1]);
        using var inference = LatentEbmInference.Open(folder);
        Assert.False(inference.HasEncoder);
        Assert.Equal(PosteriorStartMode.Noise, inference.ResolveStart(PosteriorStartMode.Auto));
        var pixels = Images(2);
        Assert.Equal(inference.InferLatents(pixels, 2, 3), inference.InferLatents(pixels, 2, 3, new ChainSettings(Start: PosteriorStartMode.Noise)));
        var error = Assert.Throws<ArgumentException>(() => inference.InferLatents(pixels, 2, 3, new ChainSettings(Start: PosteriorStartMode.Encoder)));
        Assert.Equal("Start", error.ParamName);
        Assert.Contains("has no encoder", error.Message);
        Assert.Throws<InvalidOperationException>(() => inference.Encode(pixels, 2));
    }
}
