namespace LatentEbm.Training.Text.Evaluation;

/// <summary>Every text metric of one run (<see cref="TextEvaluation.Evaluate"/>), with the facts of the run and of the evaluation.</summary>
/// <param name="Run">The run folder.</param>
/// <param name="Prior"><c>ebm</c> or <c>gaussian</c>, from the run's config.json.</param>
/// <param name="Config">The run's settings.</param>
/// <param name="Checkpoint">The checkpoint evaluated (the run's newest).</param>
/// <param name="Epochs">Epochs the checkpoint had trained.</param>
/// <param name="TrainSeconds">Wall time of those epochs, from the run's records.</param>
/// <param name="ValidationNllPerWord">The last epoch's validation NLL per token at posterior samples (NaN when not measured).</param>
/// <param name="Training">The run's training split as read.</param>
/// <param name="Test">The test split as read with the run's vocabulary and max words.</param>
/// <param name="TestSubset">N: the first <paramref name="TestSubset"/> kept test sentences (<see cref="TextEvaluationSettings.SubsetRule"/>).</param>
/// <param name="ImportanceSampled">NLL and perplexity of the test subset by importance sampling.</param>
/// <param name="Reconstruction">BLEU of greedy reconstructions of the test subset.</param>
/// <param name="Generation">The generated sentences' facts.</param>
/// <param name="ReversePerplexity">A language model trained on the generated sentences, scored on every kept test sentence.</param>
/// <param name="ForwardPerplexity">The generated sentences under the language-model baseline (trained on the real training sentences).</param>
/// <param name="WordFrequencyKl">KL(p_train || p_gen) of unigram word frequencies.</param>
/// <param name="LanguageModelBaseline">Index of the baseline (in <see cref="TextEvaluationRecord.LanguageModelBaselines"/>) that gave the forward perplexity.</param>
/// <param name="Seconds">Wall time of this run's evaluation, the baseline's training not included.</param>
public sealed record TextRunEvaluation(string Run, string Prior, TextRunConfig Config, string Checkpoint, int Epochs, double TrainSeconds, double ValidationNllPerWord,
    TextSplitFacts Training, TextSplitFacts Test, int TestSubset, ImportanceSampledSummary ImportanceSampled, ReconstructionResult Reconstruction,
    GenerationResult Generation, LanguageModelResult ReversePerplexity, LanguageModelResult ForwardPerplexity, WordFrequencyKlResult WordFrequencyKl,
    int LanguageModelBaseline, double Seconds);
