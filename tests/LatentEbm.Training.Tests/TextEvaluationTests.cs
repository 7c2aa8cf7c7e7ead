using System.Text.Json.Nodes;
using LatentEbm.Data.Text;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Checkpoints;
using LatentEbm.Training.Text;
using LatentEbm.Training.Text.Evaluation;

namespace LatentEbm.Training.Tests;

/// <summary>
/// The text evaluation on tiny one-epoch runs: every metric equals the metric's own implementation called directly on the
/// test subset, the generated sentences and the training text; the subset follows its rule; the record holds the settings
/// used; a Gaussian run is the Gaussian row; a damaged checkpoint is refused by name.
/// </summary>
public sealed class TextEvaluationTests : IDisposable
{
    private readonly TinyTextRuns runs = new();

    public TextEvaluationTests() => TorchTestSetup.Init();

    private static (TextRunEvaluation Result, TextLanguageModelBaseline Baseline) Evaluate(string folder, TextEvaluationSettings settings, string testPath)
    {
        using var run = TextTrainingRun.OpenForEvaluation(folder);
        var test = TextEvaluation.ReadTestSplit(testPath, run);
        var baseline = TextEvaluation.LanguageModelBaseline(run, test, settings);
        try
        {
            return (TextEvaluation.Evaluate(run, test, baseline, 0, settings), baseline);
        }
        finally
        {
            baseline.Model?.Dispose();
        }
    }

    [Fact]
    public void EveryMetricEqualsItsImplementationCalledDirectly()
    {
        string folder = runs.Train("ebm", gaussian: false);
        var settings = TinyTextRuns.Settings;
        var (result, baseline) = Evaluate(folder, settings, runs.TestPath);

        using var run = TextTrainingRun.OpenForEvaluation(folder);
        int v = run.Vocabulary.Count;
        // The subset rule: the first N kept sentences in file order; longer lines and the empty one counted and skipped.
        var kept = runs.TestLines.Where(l => Vocabulary.Words(l).Length is > 0 and <= TinyTextRuns.MaxWords).ToList();
        Assert.Equal(runs.TestLines.Count(l => Vocabulary.Words(l).Length > TinyTextRuns.MaxWords), result.Test.SkippedTooLong);
        Assert.Equal(1, result.Test.SkippedEmpty);
        Assert.Equal(runs.TestLines.Count, result.Test.Lines);
        Assert.Equal(kept.Count, result.Test.Sentences);
        Assert.Equal(settings.TestSentences, result.TestSubset);
        var subset = kept.Take(settings.TestSentences).Select(run.Vocabulary.Encode).ToList();
        var allTest = kept.Select(run.Vocabulary.Encode).ToList();

        // Importance-sampled NLL: the sampler itself on the subset with the run's chain and the evaluation's seed.
        var direct = ImportanceSampledNll.Evaluate(run.Trainer.Model, subset, settings.ImportanceSamplingFor(run.Config));
        Assert.Equal(direct.Nll.MeanPerSentence, result.ImportanceSampled.Nll.NllPerSentence);
        Assert.Equal(direct.Nll.Perplexity, result.ImportanceSampled.Nll.Perplexity);
        Assert.Equal(subset.Sum(s => s.Length + 1), result.ImportanceSampled.Nll.Tokens);
        Assert.True(result.ImportanceSampled.Nll.NllPerSentence > 0 && result.ImportanceSampled.Nll.Perplexity > 1);
        Assert.Equal(run.Config.Model.PosteriorStepSizes(), result.ImportanceSampled.Settings.PosteriorStepSizes);
        // ... and the comparison can fail: the next N sentences score otherwise.
        var shifted = ImportanceSampledNll.Evaluate(run.Trainer.Model, [.. allTest.Skip(1).Take(settings.TestSentences)], settings.ImportanceSamplingFor(run.Config));
        Assert.NotEqual(shifted.Nll.MeanPerSentence, result.ImportanceSampled.Nll.NllPerSentence);

        // The language-model baseline: the language model trained on the training sentences, scored directly.
        using var lm = LstmLanguageModel.Train(v, run.Train.Sentences, settings.SeededLanguageModel());
        Assert.Equal(lm.NegativeLogLikelihood(subset).Nll.MeanPerSentence, baseline.TestSubset.Nll.NllPerSentence);
        Assert.Equal(lm.NegativeLogLikelihood(allTest).Nll.Perplexity, baseline.TestSplit.Nll.Perplexity);
        Assert.NotEqual(lm.NegativeLogLikelihood([.. allTest.Skip(1).Take(settings.TestSentences)]).Nll.MeanPerSentence, baseline.TestSubset.Nll.NllPerSentence);

        // Generation: M sentences of words only, within the run's max words.
        var generated = result.Generation.Generated;
        Assert.Equal(settings.GeneratedSentences, generated.Count);
        Assert.All(generated, s => Assert.True(s.Length <= TinyTextRuns.MaxWords && s.All(id => id >= Vocabulary.UnknownId && id != Vocabulary.StartId && id != Vocabulary.EndId && id < v)));
        Assert.Equal(generated.Average(s => (double)s.Length), result.Generation.MeanWords);

        // Forward and reverse perplexity, word-frequency KL, BLEU: each metric called directly.
        Assert.Equal(lm.NegativeLogLikelihood(generated).Nll.Perplexity, result.ForwardPerplexity.Nll.Perplexity);
        using (var reverse = LstmLanguageModel.Train(v, generated, settings.SeededLanguageModel()))
            Assert.Equal(reverse.NegativeLogLikelihood(allTest).Nll.Perplexity, result.ReversePerplexity.Nll.Perplexity);
        Assert.Equal(generated.Count, result.ReversePerplexity.TrainingSentences);
        Assert.Equal(WordFrequencyKl.Compute(run.Train.Sentences, generated, v).Kl, result.WordFrequencyKl.Kl);
        Assert.NotEqual(WordFrequencyKl.Compute(run.Train.Sentences, generated.Skip(1), v).Kl, result.WordFrequencyKl.Kl);
        var reconstructions = result.Reconstruction.Reconstructions;
        Assert.Equal(subset.Count, reconstructions.Count);
        Assert.Equal(Bleu.Corpus<int>([.. subset], [.. reconstructions]).Score, result.Reconstruction.Bleu.Score);
        Assert.InRange(result.Reconstruction.Bleu.Score, 0, 1);
        Assert.Equal(run.Vocabulary.Decode(subset[0]), result.Reconstruction.Examples[0].Input);
        Assert.Equal("ebm", result.Prior);
        Assert.Equal(1, result.Epochs);
    }

    [Fact]
    public void TheSameSeedRepeatsEveryNumberAndAnotherSeedChangesThem()
    {
        string folder = runs.Train("ebm", gaussian: false);
        var settings = TinyTextRuns.Settings;
        var (a, _) = Evaluate(folder, settings, runs.TestPath);
        var (b, _) = Evaluate(folder, settings, runs.TestPath);
        var (c, _) = Evaluate(folder, settings with { Seed = 4 }, runs.TestPath);
        double[] Numbers(TextRunEvaluation r) =>
        [
            r.ImportanceSampled.Nll.NllPerSentence, r.ImportanceSampled.LogPartition.Value, r.Reconstruction.Bleu.Score, r.ReversePerplexity.Nll.Perplexity,
            r.ForwardPerplexity.Nll.Perplexity, r.WordFrequencyKl.Kl,
        ];
        Assert.Equal(Numbers(a), Numbers(b));
        Assert.Equal(a.Generation.Generated, b.Generation.Generated);
        Assert.NotEqual(a.Generation.Generated, c.Generation.Generated);
        Assert.NotEqual(a.ImportanceSampled.Nll.NllPerSentence, c.ImportanceSampled.Nll.NllPerSentence);
    }

    [Fact]
    public void TheRecordHoldsTheSettingsUsedAndTheGaussianRunIsTheGaussianRow()
    {
        string ebm = runs.Train("ebm", gaussian: false), gaussian = runs.Train("gaussian", gaussian: true);
        var settings = TinyTextRuns.Settings;
        var record = TextEvaluationJob.Run([ebm, gaussian], runs.TestPath, settings, "latent-ebm text evaluate (test)", threads: 1);
        var json = JsonNode.Parse(record.ToJson())!.AsObject();

        Assert.Equal("latent-ebm text evaluate (test)", json["command"]!.GetValue<string>());
        Assert.Single(json["language_model_baselines"]!.AsArray()); // one training split and vocabulary: one baseline
        var lm = json["language_model_baselines"]![0]!["test_subset"]!["settings"]!;
        Assert.Equal(settings.LanguageModel.Epochs, lm["epochs"]!.GetValue<int>());
        Assert.Equal(settings.LanguageModel.HiddenSize, lm["hidden_size"]!.GetValue<int>());
        Assert.Equal(settings.Seed, lm["seed"]!.GetValue<int>());
        var runsJson = json["runs"]!.AsArray();
        Assert.Equal(["ebm", "gaussian"], runsJson.Select(r => r!["prior"]!.GetValue<string>()));
        foreach (var r in runsJson)
        {
            var s = r!["importance_sampled"]!["settings"]!;
            Assert.Equal(20, s["samples"]!.GetValue<int>());
            Assert.Equal(2, s["proposal_chains"]!.GetValue<int>());
            Assert.Equal(1000, s["log_partition_samples"]!.GetValue<int>());
            Assert.Equal(settings.Seed, s["seed"]!.GetValue<int>());
            Assert.Equal(3, s["posterior_step_sizes"]!.AsArray().Count); // the run's K1, not the default 20
            Assert.Equal(4, r["test_subset"]!.GetValue<int>());
            Assert.Equal(16, r["generation"]!["sentences"]!.GetValue<int>());
            Assert.Equal(0, r["language_model_baseline"]!.GetValue<int>());
            Assert.Null(r["generation"]!["generated"]); // the sentences themselves stay out of the record
        }
        // The Gaussian run: f = 0, so log Z is exactly 0 and nothing was sampled for it; the EBM run estimated it.
        Assert.True(runsJson[1]!["importance_sampled"]!["gaussian_prior"]!.GetValue<bool>());
        Assert.Equal(0, runsJson[1]!["importance_sampled"]!["log_partition"]!["samples"]!.GetValue<int>());
        Assert.False(runsJson[0]!["importance_sampled"]!["gaussian_prior"]!.GetValue<bool>());
        Assert.Equal(1000, runsJson[0]!["importance_sampled"]!["log_partition"]!["samples"]!.GetValue<int>());
        Assert.All(record.Runs, r => Assert.True(double.IsFinite(r.ImportanceSampled.Nll.Perplexity) && double.IsFinite(r.ReversePerplexity.Nll.Perplexity)
            && double.IsFinite(r.ForwardPerplexity.Nll.Perplexity) && double.IsFinite(r.WordFrequencyKl.Kl) && r.WordFrequencyKl.Kl >= 0));
    }

    [Fact]
    public void ADamagedCheckpointOrAFolderWithoutARunIsRefusedByName()
    {
        string folder = runs.Train("ebm", gaussian: false);
        string weights = Path.Combine(folder, "checkpoints", "epoch-0001", "prior.weights");
        byte[] bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(weights, bytes);
        var e = Assert.Throws<CheckpointException>(() => TextEvaluationJob.Run([folder], runs.TestPath, TinyTextRuns.Settings, "test", 1));
        Assert.Contains("prior.weights", e.Message);
        Assert.Contains("SHA-256", e.Message);
        Assert.Throws<Runs.RunFolderException>(() => TextEvaluationJob.Run([Path.Combine(runs.Root, "nothing")], runs.TestPath, TinyTextRuns.Settings, "test", 1));
        Assert.Throws<FileNotFoundException>(() => TextEvaluationJob.Run([folder], Path.Combine(runs.Root, "no-test.txt"), TinyTextRuns.Settings, "test", 1));
    }

    [Fact]
    public void BadSettingsAreNamed()
    {
        Assert.Contains("TestSentences", Assert.Throws<ArgumentException>(() => (TinyTextRuns.Settings with { TestSentences = 0 }).Validate()).Message);
        Assert.Contains("GeneratedSentences", Assert.Throws<ArgumentException>(() => (TinyTextRuns.Settings with { GeneratedSentences = 0 }).Validate()).Message);
        Assert.Contains("Temperature", Assert.Throws<ArgumentException>(() => (TinyTextRuns.Settings with { Temperature = 0 }).Validate()).Message);
        TinyTextRuns.Settings.Validate();
    }

    public void Dispose() => runs.Dispose();
}
