namespace LatentEbm.Training.Text.Evaluation;

/// <summary>The word-frequency KL of generated text and the facts behind it (<see cref="WordFrequencyKl"/>).</summary>
/// <param name="Kl">KL(p_train || p_gen) in nats, ≥ 0 (+∞ only with a pseudo-count of 0 and a training word the generated text lacks).</param>
/// <param name="PseudoCount">ε added to every word's generated count.</param>
/// <param name="Words">W: the words the distributions range over (the vocabulary less its four specials).</param>
/// <param name="TrainingTokens">Words counted in the training text.</param>
/// <param name="GeneratedTokens">Words counted in the generated text.</param>
/// <param name="TrainingWordsMissingFromGenerated">Words of the training text that the generated text never uses (their p_gen is ε alone).</param>
public sealed record WordFrequencyKlResult(double Kl, double PseudoCount, int Words, long TrainingTokens, long GeneratedTokens, int TrainingWordsMissingFromGenerated);
