namespace LatentEbm.Training.Text.Evaluation;

/// <summary>A corpus BLEU score with the counts behind it (<see cref="Bleu"/>).</summary>
/// <param name="Score">BLEU in [0, 1]: <see cref="BrevityPenalty"/> × the geometric mean of the n-gram precisions; 0 when any precision is 0.</param>
/// <param name="Matches">Clipped n-gram matches summed over the corpus, for n = 1 .. <see cref="MaxOrder"/>.</param>
/// <param name="Totals">Hypothesis n-grams summed over the corpus, for n = 1 .. <see cref="MaxOrder"/>.</param>
/// <param name="BrevityPenalty">1 when c &gt; r, else exp(1 - r / c) (0 when c = 0), c and r the corpus lengths.</param>
/// <param name="HypothesisLength">c: tokens in all hypotheses.</param>
/// <param name="ReferenceLength">r: tokens in all references.</param>
/// <param name="MaxOrder">N, the longest n-gram (4 for BLEU-4); weights 1/N each.</param>
/// <param name="Sentences">Hypothesis-reference pairs.</param>
public sealed record BleuScore(double Score, IReadOnlyList<long> Matches, IReadOnlyList<long> Totals, double BrevityPenalty,
    long HypothesisLength, long ReferenceLength, int MaxOrder, int Sentences)
{
    /// <summary>The smoothing used: none (Papineni et al. 2002).</summary>
    public string Smoothing => "none";

    /// <summary>Modified n-gram precisions p_n = matches / totals (0 when there are no hypothesis n-grams).</summary>
    public IReadOnlyList<double> Precisions => [.. Matches.Zip(Totals, (m, t) => t == 0 ? 0.0 : (double)m / t)];
}
