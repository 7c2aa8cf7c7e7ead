using System.Diagnostics;
using LatentEbm.Data.Text;
using LatentEbm.Training.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Text.Evaluation;

/// <summary>A stage of the text evaluation and how far it has come.</summary>
/// <param name="Stage">What is being done, in words.</param>
/// <param name="Done">Units done (sentences, or 0 and 1 for a stage without steps).</param>
/// <param name="Total">Units in the stage.</param>
public sealed record TextEvaluationProgress(string Stage, long Done, long Total);

/// <summary>
/// The text metrics of PAPER.md's "Text model" section for one run on the test split (read with the run's vocabulary;
/// sentences over its max words counted and skipped): NLL per sentence and per token and perplexity by importance
/// sampling (<see cref="ImportanceSampledNll"/>) and BLEU of greedy reconstructions on the first N test sentences; M
/// sentences generated from the prior, giving the reverse perplexity (an <see cref="LstmLanguageModel"/> trained on them,
/// scored on every kept test sentence), the forward perplexity (them under the language-model baseline trained on the
/// real training sentences) and the word-frequency KL against the training text. Every draw is seeded from
/// <see cref="TextEvaluationSettings.Seed"/>; with one torch thread the results are reproducible. No test sentence
/// informs any setting.
/// </summary>
public static class TextEvaluation
{
    /// <summary>Reads the test split with the run's vocabulary and max words.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="Data.Sources.DataFormatException">The file is not UTF-8 text.</exception>
    /// <exception cref="ArgumentException">No test sentence is kept.</exception>
    public static TextCorpus ReadTestSplit(string path, TextTrainingRun run)
    {
        var test = TextCorpus.Read(path, run.Vocabulary, run.Config.MaxWords);
        if (test.Sentences.Count == 0) throw new ArgumentException($"{path}: no test sentence of 1 to {run.Config.MaxWords} words");
        return test;
    }

    /// <summary>The test subset: the first N kept sentences in file order (all when fewer).</summary>
    public static IReadOnlyList<int[]> Subset(TextCorpus test, TextEvaluationSettings settings) => [.. test.Sentences.Take(settings.TestSentences)];

    /// <summary>
    /// The language-model baseline: an <see cref="LstmLanguageModel"/> trained on the run's training sentences with
    /// <see cref="TextEvaluationSettings.SeededLanguageModel"/>, scored on the test subset and on the whole test split.
    /// </summary>
    /// <exception cref="ArgumentException">A bad setting.</exception>
    /// <exception cref="InvalidOperationException">The language model's training diverged.</exception>
    public static TextLanguageModelBaseline LanguageModelBaseline(TextTrainingRun run, TextCorpus test, TextEvaluationSettings settings, Action<TextEvaluationProgress>? progress = null)
    {
        settings.Validate();
        const string stage = "language model on the training sentences";
        progress?.Invoke(new(stage, 0, 1));
        var clock = Stopwatch.StartNew();
        var model = LstmLanguageModel.Train(run.Vocabulary.Count, run.Train.Sentences, settings.SeededLanguageModel());
        double trainSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var subset = model.NegativeLogLikelihood(Subset(test, settings));
        double subsetSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var split = model.NegativeLogLikelihood(test.Sentences);
        double splitSeconds = clock.Elapsed.TotalSeconds;
        progress?.Invoke(new(stage, 1, 1));
        return new TextLanguageModelBaseline(TextSplitFacts.Of(run.Train), run.Vocabulary.Count,
            LanguageModelResult.Of(model, subset, trainSeconds, subsetSeconds), LanguageModelResult.Of(model, split, 0, splitSeconds)) { Model = model };
    }

    /// <summary>Every metric of <paramref name="run"/> (its newest checkpoint, as opened).</summary>
    /// <param name="run">The run, opened with <see cref="TextTrainingRun.OpenForEvaluation"/>.</param>
    /// <param name="test">The test split from <see cref="ReadTestSplit"/>.</param>
    /// <param name="baseline">The language-model baseline of the run's training split and vocabulary (<see cref="LanguageModelBaseline"/>).</param>
    /// <param name="baselineIndex">Its index in the record's list of baselines.</param>
    /// <param name="settings">The evaluation's settings.</param>
    /// <param name="progress">Told of each stage's progress.</param>
    /// <param name="cancellation">Checked between stages and batches.</param>
    /// <exception cref="ArgumentException">A bad setting, or a baseline of another vocabulary.</exception>
    /// <exception cref="InvalidOperationException">A model gave a value that is not finite, or a language model's training diverged.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static TextRunEvaluation Evaluate(TextTrainingRun run, TextCorpus test, TextLanguageModelBaseline baseline, int baselineIndex, TextEvaluationSettings settings,
        Action<TextEvaluationProgress>? progress = null, CancellationToken cancellation = default)
    {
        settings.Validate();
        var lm = baseline.Model ?? throw new ArgumentException("the baseline carries no trained language model", nameof(baseline));
        if (lm.VocabularySize != run.Vocabulary.Count)
            throw new ArgumentException($"the baseline's vocabulary holds {lm.VocabularySize} tokens, the run's {run.Vocabulary.Count}", nameof(baseline));
        var started = Stopwatch.StartNew();
        var model = run.Trainer.Model;
        var subset = Subset(test, settings);

        cancellation.ThrowIfCancellationRequested();
        string isStage = $"importance-sampled NLL of {subset.Count} test sentences";
        progress?.Invoke(new(isStage, 0, subset.Count));
        var clock = Stopwatch.StartNew();
        var nll = ImportanceSampledNll.Evaluate(model, subset, settings.ImportanceSamplingFor(run.Config), n =>
        {
            cancellation.ThrowIfCancellationRequested();
            progress?.Invoke(new(isStage, n, subset.Count));
        });
        var importanceSampled = ImportanceSampledSummary.Of(nll, clock.Elapsed.TotalSeconds);

        var reconstruction = Reconstruct(run, subset, settings, progress, cancellation);
        var generation = Generate(run, settings, progress, cancellation);
        var generated = generation.Generated;

        cancellation.ThrowIfCancellationRequested();
        const string reverseStage = "reverse perplexity: language model on the generated sentences";
        progress?.Invoke(new(reverseStage, 0, 1));
        clock.Restart();
        var reverseModel = LstmLanguageModel.Train(run.Vocabulary.Count, generated, settings.SeededLanguageModel());
        double reverseTrain = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var reverse = LanguageModelResult.Of(reverseModel, reverseModel.NegativeLogLikelihood(test.Sentences), reverseTrain, clock.Elapsed.TotalSeconds);
        reverseModel.Dispose();
        progress?.Invoke(new(reverseStage, 1, 1));

        cancellation.ThrowIfCancellationRequested();
        clock.Restart();
        var forwardNll = lm.NegativeLogLikelihood(generated);
        var forward = LanguageModelResult.Of(lm, forwardNll, 0, clock.Elapsed.TotalSeconds);
        var kl = WordFrequencyKl.Compute(run.Train.Sentences, generated, run.Vocabulary.Count);

        var history = run.History;
        return new TextRunEvaluation(run.Folder, run.Config.Model.GaussianPrior ? "gaussian" : "ebm", run.Config,
            new TextCheckpoints(run.Folder).Latest() ?? "", run.Trainer.EpochsCompleted, history.Sum(h => h.Seconds),
            history.Count > 0 ? history[^1].ValidationNllPerWord : double.NaN, TextSplitFacts.Of(run.Train), TextSplitFacts.Of(test), subset.Count,
            importanceSampled, reconstruction, generation, reverse, forward, kl, baselineIndex, started.Elapsed.TotalSeconds);
    }

    /// <summary>Posterior chains (the run's learning chain, from noise) on the subset, greedy decoding of their ends, BLEU against the inputs.</summary>
    private static ReconstructionResult Reconstruct(TextTrainingRun run, IReadOnlyList<int[]> subset, TextEvaluationSettings settings,
        Action<TextEvaluationProgress>? progress, CancellationToken cancellation)
    {
        string stage = $"greedy reconstructions of {subset.Count} test sentences";
        var clock = Stopwatch.StartNew();
        int seed = settings.Seed + 1;
        using var rng = new torch.Generator((ulong)seed);
        var noise = new GaussianNoise(rng);
        var reconstructions = new List<int[]>(subset.Count);
        int batchSize = run.Config.Model.BatchSize;
        for (int start = 0; start < subset.Count; start += batchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            progress?.Invoke(new(stage, start, subset.Count));
            using var scope = NewDisposeScope();
            var batch = subset.Skip(start).Take(batchSize).ToArray();
            var z = run.PosteriorSamples(SentenceBatch.Tokens(batch), rng, noise);
            reconstructions.AddRange(run.Trainer.Model.Decoder.Decode(z, run.Config.MaxWords));
        }
        progress?.Invoke(new(stage, subset.Count, subset.Count));
        var bleu = Bleu.Corpus<int>([.. subset], [.. reconstructions]);
        var examples = subset.Zip(reconstructions).Take(settings.Examples)
            .Select(p => new SentencePair(run.Vocabulary.Decode(p.First), run.Vocabulary.Decode(p.Second))).ToArray();
        return new ReconstructionResult(bleu, run.Config.Model.PosteriorStepSizes(), seed, examples, clock.Elapsed.TotalSeconds) { Reconstructions = reconstructions };
    }

    /// <summary>M prior chains from noise, each end point decoded by sampling at the settings' temperature.</summary>
    private static GenerationResult Generate(TextTrainingRun run, TextEvaluationSettings settings, Action<TextEvaluationProgress>? progress, CancellationToken cancellation)
    {
        int count = settings.GeneratedSentences ?? run.Train.Sentences.Count;
        string rule = settings.GeneratedSentences is null
            ? "as many as the run's training sentences (the default)"
            : "given (--generated)";
        string stage = $"generating {count} sentences";
        var clock = Stopwatch.StartNew();
        int seed = settings.Seed + 2;
        using var rng = new torch.Generator((ulong)seed);
        var noise = new GaussianNoise(rng);
        var generated = new List<int[]>(count);
        for (int start = 0; start < count; start += settings.GenerationBatchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            progress?.Invoke(new(stage, start, count));
            using var scope = NewDisposeScope();
            var z = run.PriorSamples(Math.Min(settings.GenerationBatchSize, count - start), rng, noise);
            generated.AddRange(run.Trainer.Model.Decoder.Decode(z, run.Config.MaxWords, rng, settings.Temperature));
        }
        progress?.Invoke(new(stage, count, count));
        var m = run.Config.Model;
        return new GenerationResult(count, rule, settings.Temperature, m.PriorSteps, m.PriorStepSize, seed, settings.GenerationBatchSize,
            generated.Average(s => (double)s.Length), generated.Count(s => s.Length == 0), generated.Count(s => s.Length == run.Config.MaxWords),
            [.. generated.Take(settings.Examples).Select(s => run.Vocabulary.Decode(s))], clock.Elapsed.TotalSeconds) { Generated = generated };
    }
}
