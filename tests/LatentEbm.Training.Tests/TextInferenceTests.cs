using LatentEbm.Inference.Runtime;
using LatentEbm.Inference.Sampling;
using LatentEbm.Inference.Text;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Sampling;
using LatentEbm.Training.Text;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>
/// TextLatentEbmInference (ONNX Runtime) on the fixture model's text bundle against the TorchSharp model with the same
/// Philox draws: prior samples and their greedy decoding, posterior latents, and scores recomputed independently in float64;
/// reproducibility, batching independence (padding included) and the input errors.
/// </summary>
public class TextInferenceTests
{
    private readonly ITestOutputHelper output;

    public TextInferenceTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchTestSetup.Init();
    }

    private static TextLatentEbmInference Open(string? folder = null) =>
        TextLatentEbmInference.Open(folder ?? TinyTextBundle.Bundle, new ExecutionOptions(ExecutionProvider.Cpu, IntraOpThreads: 1));

    private static readonly string[] Sentences = ["alpha bravo charlie", "golf", "delta echo foxtrot golf alpha bravo", "charlie charlie"];

    [Fact]
    public void SamplesFollowTheTorchSharpPriorChainAndDecodeAsTextDecoderDecodes()
    {
        const int n = 6, seed = 11;
        using var inference = Open(TinyTextBundle.DecodingBundle);
        var samples = inference.Sample(n, seed);
        var model64 = Export.TextBundleExporter.Float64Copy(TinyTextBundle.Model(TinyTextBundle.OracleFloats(TinyTextBundle.OnnxCases.GetProperty("decoding").GetProperty("readout_bias"))));
        var s = TinyTextBundle.Settings;
        // The same draws: z0 ~ N(0, sigma0^2 I), then K0 steps' noise, from stream j of the prior-chain domain.
        var z0 = new double[n * 3];
        var noise = new double[s.PriorSteps * n * 3];
        for (int row = 0; row < n; row++)
        {
            var stream = new GaussianStream(seed, (ulong)row, NoiseDomain.PriorChain);
            var draws = new float[3];
            stream.Fill(draws, s.Sigma0);
            for (int j = 0; j < 3; j++) z0[row * 3 + j] = draws[j];
            for (int k = 0; k < s.PriorSteps; k++)
            {
                stream.Fill(draws);
                for (int j = 0; j < 3; j++) noise[(k * n + row) * 3 + j] = draws[j];
            }
        }
        var reference = LangevinSampler.Run(tensor(z0, [n, 3]), s.PriorSteps, s.PriorStepSize, new ScriptedNoise(tensor(noise, [s.PriorSteps, n, 3])), model64.GradLogPrior);
        double error = TextBundleExportTests.RelativeError([.. samples.SelectMany(x => x.Latent)], reference.data<double>().ToArray());
        output.WriteLine($"prior chain ends vs TorchSharp float64 with the same draws: {error:E2}");
        Assert.True(error < 1e-5, $"prior chain error {error:E2}");

        // Greedy decoding of the returned latents equals TorchSharp's TextDecoder.Decode (float32, as trained).
        var model = TinyTextBundle.Model(TinyTextBundle.OracleFloats(TinyTextBundle.OnnxCases.GetProperty("decoding").GetProperty("readout_bias")));
        int[][] decoded = model.Decoder.Decode(tensor([.. samples.SelectMany(x => x.Latent)], [n, 3]), TinyTextBundle.MaxWords);
        var vocabulary = TinyTextBundle.Vocabulary();
        for (int row = 0; row < n; row++)
        {
            output.WriteLine($"{samples[row].Text} (ended {samples[row].Ended})");
            Assert.Equal(vocabulary.Decode(decoded[row]), samples[row].Text);
            Assert.Equal(samples[row].Text, string.Join(' ', samples[row].Words));
        }
        Assert.True(samples.Select(x => x.Text).Distinct().Count() > 1, "every sample decoded to the same sentence: the check could not tell rows apart");
    }

    [Fact]
    public void WithoutPriorStepsASampleIsItsStartFromNZeroSigma0Squared()
    {
        var settings = TinyTextBundle.Settings with { PriorSteps = 0 };
        string folder = Export.TextBundleExporter.Export(TinyTextBundle.Model(), TinyTextBundle.Vocabulary(), settings, TinyTextBundle.MaxWords,
            TinyTextBundle.Training, Path.Combine(TestPaths.NewTempFolder(), "text-k0")).Folder;
        using var inference = Open(folder);
        var samples = inference.Sample(3, 8, firstStream: 5);
        for (int row = 0; row < 3; row++)
        {
            var expected = new float[3];
            new GaussianStream(8, (ulong)(5 + row), NoiseDomain.PriorChain).Fill(expected, 1.5);
            Assert.Equal(expected, samples[row].Latent);
            var unscaled = new float[3];
            new GaussianStream(8, (ulong)(5 + row), NoiseDomain.PriorChain).Fill(unscaled);
            Assert.NotEqual(unscaled, samples[row].Latent); // sigma0 = 1.5 scales the start
        }
    }

    [Fact]
    public void SamplingIsReproducibleDiffersAcrossSeedsAndDoesNotDependOnBatching()
    {
        using var inference = Open(TinyTextBundle.DecodingBundle);
        foreach (double temperature in new[] { 0.0, 1.3 })
        {
            var a = inference.Sample(5, 3, temperature);
            var b = inference.Sample(5, 3, temperature);
            var other = inference.Sample(5, 4, temperature);
            Assert.Equal(a.Select(x => x.Latent), b.Select(x => x.Latent));
            Assert.Equal(a.Select(x => x.TokenIds), b.Select(x => x.TokenIds));
            Assert.NotEqual(a.Select(x => x.Latent.ToArray()), other.Select(x => x.Latent.ToArray()));
            var alone = inference.Sample(1, 3, temperature, firstStream: 3)[0];
            Assert.Equal(a[3].TokenIds, alone.TokenIds);
            Assert.Equal(a[3].Latent, alone.Latent, (x, y) => Math.Abs(x - y) <= 1e-6f * Math.Max(1, Math.Abs(y)));
            Assert.All(a, x => Assert.DoesNotContain(x.TokenIds.TakeWhile(id => id != TextVocabulary.EndId), id => id is TextVocabulary.PadId or TextVocabulary.StartId));
        }
        // Sampled decoding differs from greedy decoding of the same latents (the uniforms matter).
        var greedy = inference.Sample(8, 3, 0);
        var sampled = inference.Sample(8, 3, 1.3);
        Assert.Equal(greedy.Select(x => x.Latent), sampled.Select(x => x.Latent));
        Assert.NotEqual(greedy.Select(x => x.Text), sampled.Select(x => x.Text));
        Assert.Throws<ArgumentOutOfRangeException>(() => inference.Sample(2, 3, -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => inference.Sample(0, 3));
    }

    [Fact]
    public void LatentsFollowTheTorchSharpPosteriorChainAndScoresAreTheNegativeLogJoint()
    {
        const int seed = 5;
        using var inference = Open();
        var z = inference.InferLatents(Sentences, seed);
        var scores = inference.Score(Sentences, seed);
        var both = inference.ScoreWithLatents(Sentences, seed);
        Assert.Equal(scores, both.Scores);
        Assert.Equal(z, both.Latents);
        int n = Sentences.Length, k = TinyTextBundle.Settings.PosteriorSteps;
        var model64 = Export.TextBundleExporter.Float64Copy(TinyTextBundle.Model());
        var vocabulary = TinyTextBundle.Vocabulary();
        using var tokens = SentenceBatch.Tokens([.. Sentences.Select(vocabulary.Encode)]);

        var z0 = new double[n * 3];
        var noise = new double[k * n * 3];
        var draws = new float[3];
        for (int row = 0; row < n; row++)
        {
            var stream = new GaussianStream(seed, (ulong)row, NoiseDomain.PosteriorChain);
            stream.Fill(draws, 1.5);
            for (int j = 0; j < 3; j++) z0[row * 3 + j] = draws[j];
            for (int step = 0; step < k; step++)
            {
                stream.Fill(draws);
                for (int j = 0; j < 3; j++) noise[(step * n + row) * 3 + j] = draws[j];
            }
        }
        var reference = LangevinSampler.Run(tensor(z0, [n, 3]), TinyTextBundle.Settings.PosteriorStepSizes(), new ScriptedNoise(tensor(noise, [k, n, 3])),
            zz => model64.GradLogPosterior(zz, tokens));
        double chainError = TextBundleExportTests.RelativeError(z, reference.data<double>().ToArray());
        output.WriteLine($"posterior latents vs TorchSharp float64 with the same draws: {chainError:E2}");
        Assert.True(chainError < 1e-5, $"posterior latents {chainError:E2}");

        // The score, recomputed in float64 at the returned latents: -(log p(x|z) + f(z) - |z|^2 / (2 sigma0^2)).
        using var zt = tensor([.. z.Select(v => (double)v)], [n, 3]);
        using (no_grad())
        {
            var expected = -(model64.Decoder.LogLikelihood(zt, tokens) + model64.Prior.forward(zt).reshape(-1) - zt.square().sum(1) / (2 * 1.5 * 1.5));
            double scoreError = TextBundleExportTests.RelativeError(scores, expected.data<double>().ToArray());
            output.WriteLine($"scores [{string.Join(", ", scores)}] vs float64 recomputation: {scoreError:E2}");
            Assert.True(scoreError < 1e-5, $"score {scoreError:E2}");
            // Without the reference prior's term the recomputation misses: the check can fail.
            var wrong = -(model64.Decoder.LogLikelihood(zt, tokens) + model64.Prior.forward(zt).reshape(-1));
            Assert.True(TextBundleExportTests.RelativeError(scores, wrong.data<double>().ToArray()) > 1e-3);
        }
    }

    [Fact]
    public void ASentencesAnswerDoesNotDependOnTheBatchOrItsPadding()
    {
        using var inference = Open();
        const int seed = 2;
        // "golf" is row 1 of the batch (padded to the 6-word sentence of row 2) and alone on stream 1.
        var batchScores = inference.Score(Sentences, seed);
        var alone = inference.Score(["golf"], seed, firstStream: 1);
        var batchZ = inference.InferLatents(Sentences, seed);
        var aloneZ = inference.InferLatents(["golf"], seed, firstStream: 1);
        output.WriteLine($"'golf' batched {batchScores[1]}, alone {alone[0]}");
        Assert.Equal(batchScores[1], alone[0], 1e-5f * Math.Abs(alone[0]));
        Assert.Equal(batchZ.AsSpan(3, 3).ToArray(), aloneZ, (a, b) => Math.Abs(a - b) <= 1e-5f);
        // Another sentence on the same stream scores differently: equality is not vacuous.
        Assert.NotEqual(alone[0], inference.Score(["golf golf golf"], seed, firstStream: 1)[0], 1e-3f);
        // Another stream gives another chain.
        Assert.NotEqual(aloneZ, inference.InferLatents(["golf"], seed, firstStream: 2));
    }

    [Fact]
    public void UnknownWordsReadAsUnkAndBadSentencesAreTypedErrors()
    {
        using var inference = Open();
        var tokenized = inference.Tokenize(["alpha zulu golf"])[0];
        Assert.Equal([4, TextVocabulary.UnknownId, 10], tokenized.Ids);
        Assert.Equal(1, tokenized.UnknownWords);
        Assert.Single(inference.Score(["alpha zulu golf"], 1)); // scored, <unk> and all

        string tooLong = string.Join(' ', Enumerable.Repeat("alpha", TinyTextBundle.MaxWords + 1));
        var e = Assert.Throws<TextInputException>(() => inference.Score(["golf", tooLong], 1));
        Assert.Equal((TextInputProblem.TooLong, 1, TinyTextBundle.MaxWords + 1, TinyTextBundle.MaxWords), (e.Problem, e.Index, e.Words, e.Limit));
        Assert.Contains($"at most {TinyTextBundle.MaxWords}", e.Message);
        Assert.Single(inference.Score([string.Join(' ', Enumerable.Repeat("alpha", TinyTextBundle.MaxWords))], 1)); // exactly the limit is fine
        Assert.Equal(TextInputProblem.Empty, Assert.Throws<TextInputException>(() => inference.InferLatents(["  "], 1)).Problem);
        Assert.Equal(TextInputProblem.ReservedToken, Assert.Throws<TextInputException>(() => inference.InferLatents(["alpha </s> golf"], 1)).Problem);
        Assert.Throws<ArgumentOutOfRangeException>(() => inference.Score([], 1));
    }

    [Fact]
    public void ConcurrentCallsGiveTheSameAnswersAsSequentialOnes()
    {
        using var inference = Open();
        var expected = Enumerable.Range(0, 8).Select(seed => inference.Score(Sentences, seed)).ToArray();
        var actual = new float[8][];
        Parallel.For(0, 8, seed => actual[seed] = inference.Score(Sentences, seed));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void TheInferenceTokenizerEncodesPtbAsTheTrainingVocabularyDoes()
    {
        var lines = Data.Text.TextCorpus.Lines(Path.Combine(TestPaths.TextCorpora, "ptb.valid.txt")).Take(2000).ToArray();
        var training = Data.Text.Vocabulary.Build(lines.Take(1000), 2000);
        var inference = new TextVocabulary(training.Tokens, 200);
        int unknown = 0;
        foreach (var line in lines.Where(l => Data.Text.Vocabulary.Words(l).Length > 0))
        {
            var ids = inference.Tokenize(line).Ids;
            Assert.Equal(training.Encode(line), ids);
            unknown += ids.Count(id => id == TextVocabulary.UnknownId);
        }
        Assert.True(unknown > 100, $"only {unknown} unknown words: the check did not exercise <unk>");
    }
}
