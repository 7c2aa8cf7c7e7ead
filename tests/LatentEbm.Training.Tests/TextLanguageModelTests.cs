using System.Text.Json;
using LatentEbm.Data.Text;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Text.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>
/// The evaluation language model: its NLL against PyTorch float64 for fixed weights (tests/fixtures/language_model_cases.json,
/// written by make_language_model_cases.py), and its training on real Penn Treebank sentences.
/// </summary>
public class TextLanguageModelTests
{
    private static readonly JsonElement Case = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("language_model_cases.json"))).RootElement;

    private static readonly Lazy<(Vocabulary Vocabulary, IReadOnlyList<int[]> Sentences)> Corpus = new(() =>
    {
        string path = Path.Combine(TestPaths.TextCorpora, "ptb.train.head.txt");
        var lines = TextCorpus.Lines(path).Take(80).ToList();
        var vocabulary = Vocabulary.Build(lines);
        return (vocabulary, TextCorpus.Read(path, vocabulary, maxWords: 15).Sentences.Take(24).ToList());
    });

    private static readonly LanguageModelSettings Tiny = new()
    {
        EmbeddingSize = 16, HiddenSize = 32, Dropout = 0.1, Epochs = 30, BatchSize = 8, LearningRate = 1e-2, Seed = 4,
    };

    public TextLanguageModelTests() => TorchTestSetup.Init();

    private static int[][] Sentences => [.. Case.GetProperty("sentences").EnumerateArray().Select(s => s.EnumerateArray().Select(t => t.GetInt32()).ToArray())];

    private static LstmLanguageModel OracleModel(bool swapInputAndForgetGates = false)
    {
        var model = new LstmLanguageModel(Case.GetProperty("vocabulary_size").GetInt32(), new LanguageModelSettings
        {
            EmbeddingSize = Case.GetProperty("embedding").GetInt32(), HiddenSize = Case.GetProperty("hidden").GetInt32(), Dropout = 0.5,
        });
        model.to(float64);
        var weights = Case.GetProperty("weights");
        using (no_grad())
            foreach (var (name, parameter) in model.named_parameters())
            {
                var value = OracleModels.Tensor(weights.GetProperty(name));
                if (swapInputAndForgetGates && name.StartsWith("lstm.", StringComparison.Ordinal))
                {
                    long h = value.shape[0] / 4; // gates i, f, g, o along the first axis
                    value = cat([value.narrow(0, h, h), value.narrow(0, 0, h), value.narrow(0, 2 * h, 2 * h)], 0);
                }
                parameter.copy_(value);
            }
        return model;
    }

    [Fact]
    public void PerSentenceNllMatchesPyTorchFloat64InLengthSortedPaddedBatches()
    {
        var model = OracleModel();
        model.train(); // NegativeLogLikelihood evaluates without dropout and restores the mode
        double[] expected = [.. Case.GetProperty("log_likelihood").EnumerateArray().Select(v => -v.GetDouble())];
        foreach (int batchSize in new[] { 1, 2, 128 })
        {
            var result = model.NegativeLogLikelihood(Sentences, batchSize);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(result.Nll.PerSentence[i] - expected[i]) < 1e-12, $"batch {batchSize}, sentence {i}: {result.Nll.PerSentence[i]} against {expected[i]}");
            Assert.Equal(Case.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()), result.Nll.Tokens);
            Assert.Equal(0, result.TrainingSentences);
            Assert.True(double.IsNaN(result.FinalTrainingLoss));
        }
        Assert.True(model.training);
        var nll = model.NegativeLogLikelihood(Sentences).Nll;
        Assert.Equal(Math.Exp(expected.Sum() / nll.TotalTokens), nll.Perplexity, 1e-12);
        Assert.Equal(expected.Sum() / 5, nll.MeanPerSentence, 1e-12);
        Assert.Equal(expected[2], nll.PerTokenOfEach[2], 1e-12); // the empty sentence: </s> alone
        Assert.Equal(expected[0] / 8, nll.PerTokenOfEach[0], 1e-12);
    }

    [Fact]
    public void ThePyTorchComparisonCatchesAWrongGateOrder()
    {
        var result = OracleModel(swapInputAndForgetGates: true).NegativeLogLikelihood(Sentences);
        double[] expected = [.. Case.GetProperty("log_likelihood").EnumerateArray().Select(v => -v.GetDouble())];
        Assert.True(expected.Zip(result.Nll.PerSentence).Max(p => Math.Abs(p.First - p.Second)) > 1e-2);
    }

    [Fact]
    public void TrainingLowersTheNllOfTheTrainingSentencesAndIsReproducible()
    {
        var (vocabulary, sentences) = Corpus.Value;
        double untrained = LstmLanguageModel.Train(vocabulary.Count, sentences, Tiny with { Epochs = 0 }).NegativeLogLikelihood(sentences).Nll.PerToken;
        var model = LstmLanguageModel.Train(vocabulary.Count, sentences, Tiny);
        var trained = model.NegativeLogLikelihood(sentences);
        Assert.InRange(untrained, Math.Log(vocabulary.Count) - 0.5, Math.Log(vocabulary.Count) + 0.5); // about uniform
        Assert.True(trained.Nll.PerToken < untrained - 2, $"per-token NLL {untrained:F3} -> {trained.Nll.PerToken:F3}");
        Assert.Equal(Tiny.Epochs, model.EpochLosses.Count);
        Assert.True(model.EpochLosses[^1] < model.EpochLosses[0] - 2);
        Assert.Equal(sentences.Count, trained.TrainingSentences);
        Assert.Equal(sentences.Sum(s => s.Length + 1L), trained.TrainingTokens);
        Assert.Equal(model.EpochLosses[^1], trained.FinalTrainingLoss);
        Assert.Same(Tiny, trained.Settings);

        // The model learnt word order, not just word counts: the same words reversed score far worse.
        int[][] reversed = [.. sentences.Select(s => s.Reverse().ToArray())];
        Assert.True(model.NegativeLogLikelihood(reversed).Nll.PerToken > trained.Nll.PerToken + 1);

        var again = LstmLanguageModel.Train(vocabulary.Count, sentences, Tiny);
        Assert.Equal(trained.Nll.PerSentence, again.NegativeLogLikelihood(sentences).Nll.PerSentence);
    }

    [Fact]
    public void IdsThatAreNoWordsAndBadSettingsAreNamed()
    {
        var model = OracleModel();
        Assert.Contains("sentence 1, position 0: id 3", Assert.Throws<ArgumentException>(() => model.NegativeLogLikelihood([[4], [Vocabulary.EndId]])).Message);
        Assert.Contains("id 13", Assert.Throws<ArgumentException>(() => model.NegativeLogLikelihood([[13]])).Message);
        Assert.Throws<ArgumentException>(() => model.NegativeLogLikelihood([]));
        Assert.Contains("Dropout", Assert.Throws<ArgumentException>(() => LstmLanguageModel.Train(13, Sentences, Tiny with { Dropout = 1 })).Message);
    }
}
