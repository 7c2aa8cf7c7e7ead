using LatentEbm.Data.Text;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Text;
using TorchSharp;

namespace LatentEbm.Training.Tests;

/// <summary>Short-run MCMC learning of the text latent EBM on real Penn Treebank sentences, at toy sizes.</summary>
public class TextTrainerTests
{
    internal static readonly Lazy<(Vocabulary Vocabulary, IReadOnlyList<int[]> Sentences)> Corpus = new(() =>
    {
        string path = Path.Combine(TestPaths.TextCorpora, "ptb.train.head.txt");
        var lines = TextCorpus.Lines(path).Take(64).ToList();
        var vocabulary = Vocabulary.Build(lines);
        return (vocabulary, TextCorpus.Read(path, vocabulary, maxWords: 15).Sentences.Take(16).ToList());
    });

    internal static readonly TextTrainingSettings Tiny = new()
    {
        Nz = 4, EmbeddingSize = 16, HiddenSize = 32, Dropout = 0.1, PriorHidden = [16], BatchSize = 8,
        PriorSteps = 5, PosteriorSteps = 5, DecoderLearningRate = 1e-2, Seed = 3,
    };

    public TextTrainerTests() => TorchTestSetup.Init();

    [Fact]
    public void LearningRaisesTheLikelihoodOfTheTrainingSentencesAndIsReproducible()
    {
        var (vocabulary, sentences) = Corpus.Value;
        var trainer = new TextTrainer(Tiny, vocabulary.Count, sentences);
        var metrics = Enumerable.Range(0, 60).Select(_ => trainer.Step()).ToList();
        double first = metrics.Take(4).Average(m => m.NegativeLogLikelihoodPerWord), last = metrics.TakeLast(4).Average(m => m.NegativeLogLikelihoodPerWord);
        Assert.InRange(first, Math.Log(vocabulary.Count) - 1, Math.Log(vocabulary.Count) + 1); // an untrained decoder is about uniform
        Assert.True(last < first - 2, $"per-word NLL {first:F3} -> {last:F3}");
        Assert.All(metrics, m => Assert.True(double.IsFinite(m.PosteriorF) && double.IsFinite(m.PriorF)));
        Assert.Equal(60, trainer.Iterations);

        var again = new TextTrainer(Tiny, vocabulary.Count, sentences);
        Assert.Equal(metrics.Take(5), Enumerable.Range(0, 5).Select(_ => again.Step()));
    }

    [Fact]
    public void TheGaussianBaselineKeepsFAtZero()
    {
        var (vocabulary, sentences) = Corpus.Value;
        var trainer = new TextTrainer(Tiny with { GaussianPrior = true }, vocabulary.Count, sentences);
        for (int i = 0; i < 3; i++)
        {
            var m = trainer.Step();
            Assert.Equal(0, m.PosteriorF);
        }
        using var noGrad = TorchSharp.torch.no_grad();
        Assert.Equal(0, trainer.Model.Prior.forward(TorchSharp.torch.randn(5, 4)).abs().max().ToDouble());
    }

    [Fact]
    public void BadSettingsAndTooFewSentencesAreNamed()
    {
        var (vocabulary, sentences) = Corpus.Value;
        Assert.Contains("Dropout", Assert.Throws<ArgumentException>(() => new TextTrainer(Tiny with { Dropout = 1 }, vocabulary.Count, sentences)).Message);
        Assert.Contains("fewer than one batch", Assert.Throws<ArgumentException>(() => new TextTrainer(Tiny with { BatchSize = 100 }, vocabulary.Count, sentences)).Message);
        double[] schedule = (Tiny with { PosteriorSteps = 3 }).PosteriorStepSizes();
        Assert.Equal(0.8, schedule[0]);
        Assert.Equal(0.425, schedule[1], 1e-15);
        Assert.Equal(0.05, schedule[2]);
    }
}
