namespace LatentEbm.Training.Text.Evaluation;

/// <summary>What an evaluation language model measured on a set of sentences, with the facts of the model behind it.</summary>
/// <param name="Nll">Per-sentence NLL and token counts; <see cref="SentenceNll.Perplexity"/> is the forward or reverse perplexity.</param>
/// <param name="Settings">The language model's size and training.</param>
/// <param name="TrainingSentences">Sentences it was trained on (0 for a model built with given weights).</param>
/// <param name="TrainingTokens">Scored tokens of those sentences.</param>
/// <param name="FinalTrainingLoss">Mean per-token training NLL of the last epoch (dropout on), NaN when untrained.</param>
public sealed record LanguageModelNll(SentenceNll Nll, LanguageModelSettings Settings, int TrainingSentences, long TrainingTokens, double FinalTrainingLoss);
