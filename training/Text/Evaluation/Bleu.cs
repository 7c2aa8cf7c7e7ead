namespace LatentEbm.Training.Text.Evaluation;

/// <summary>
/// Corpus BLEU (Papineni et al. 2002; PAPER.md, "Text model": BLEU of reconstructions) with one reference per
/// hypothesis: for n = 1 .. N, the modified precision p_n = Σ_sentences Σ_ngram min(count in hypothesis, count in
/// reference) / Σ_sentences (n-grams in the hypothesis); BLEU = BP × exp(Σ_n log p_n / N) with the corpus brevity
/// penalty BP = 1 if c &gt; r else exp(1 - r / c), c and r the total hypothesis and reference lengths. No smoothing:
/// a precision of 0 makes BLEU exactly 0. Computed over whatever tokens the caller passes (word ids or strings; pass
/// the words alone, without <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c> or padding).
/// Matches nltk's <c>corpus_bleu</c> (default weights, no smoothing) except where nltk deviates from the paper:
/// nltk counts a hypothesis shorter than n as one n-gram (its per-sentence denominator is max(1, count)), and for a zero
/// precision it returns about 1e-77 where this returns 0.
/// </summary>
public static class Bleu
{
    /// <summary>BLEU-4's longest n-gram.</summary>
    public const int DefaultMaxOrder = 4;

    /// <summary>Corpus BLEU-N of <paramref name="hypotheses"/> against <paramref name="references"/> (pairs by index).</summary>
    /// <typeparam name="T">Token type (int word ids, strings); compared with <see cref="EqualityComparer{T}.Default"/>.</typeparam>
    /// <param name="hypotheses">Token sequences; empty ones allowed (they add reference length only).</param>
    /// <param name="references">One token sequence per hypothesis.</param>
    /// <param name="maxOrder">N, 1 to 4.</param>
    /// <exception cref="ArgumentException">No pair, the counts differ, or a sequence is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxOrder"/> is outside 1 to 4.</exception>
    public static BleuScore Corpus<T>(IReadOnlyList<IReadOnlyList<T>> hypotheses, IReadOnlyList<IReadOnlyList<T>> references, int maxOrder = DefaultMaxOrder)
        where T : notnull
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOrder, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxOrder, 4);
        if (hypotheses.Count == 0) throw new ArgumentException("BLEU needs at least one hypothesis", nameof(hypotheses));
        if (hypotheses.Count != references.Count)
            throw new ArgumentException($"{hypotheses.Count} hypotheses but {references.Count} references: one reference per hypothesis", nameof(references));
        var ids = new Dictionary<T, int>();
        var matches = new long[maxOrder];
        var totals = new long[maxOrder];
        long c = 0, r = 0;
        for (int i = 0; i < hypotheses.Count; i++)
        {
            int[] hypothesis = Encode(hypotheses[i] ?? throw new ArgumentException($"hypothesis {i} is null", nameof(hypotheses)), ids);
            int[] reference = Encode(references[i] ?? throw new ArgumentException($"reference {i} is null", nameof(references)), ids);
            c += hypothesis.Length;
            r += reference.Length;
            for (int n = 1; n <= maxOrder; n++)
            {
                var referenceCounts = Count(reference, n);
                foreach (var (gram, count) in Count(hypothesis, n))
                {
                    totals[n - 1] += count;
                    matches[n - 1] += Math.Min(count, referenceCounts.GetValueOrDefault(gram));
                }
            }
        }
        double bp = c > r ? 1.0 : c == 0 ? 0.0 : Math.Exp(1.0 - (double)r / c);
        double score = 0;
        if (matches.All(m => m > 0))
            score = bp * Math.Exp(Enumerable.Range(0, maxOrder).Sum(n => Math.Log((double)matches[n] / totals[n])) / maxOrder);
        return new BleuScore(score, matches, totals, bp, c, r, maxOrder, hypotheses.Count);
    }

    private static int[] Encode<T>(IReadOnlyList<T> tokens, Dictionary<T, int> ids) where T : notnull
    {
        var encoded = new int[tokens.Count];
        for (int t = 0; t < encoded.Length; t++)
        {
            if (!ids.TryGetValue(tokens[t], out int id)) ids[tokens[t]] = id = ids.Count;
            encoded[t] = id;
        }
        return encoded;
    }

    /// <summary>Counts of the n-grams of <paramref name="tokens"/>, an n-gram keyed by its ids, unused slots -1.</summary>
    private static Dictionary<(int, int, int, int), long> Count(int[] tokens, int n)
    {
        var counts = new Dictionary<(int, int, int, int), long>();
        for (int t = 0; t + n <= tokens.Length; t++)
        {
            var gram = (tokens[t], n > 1 ? tokens[t + 1] : -1, n > 2 ? tokens[t + 2] : -1, n > 3 ? tokens[t + 3] : -1);
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        }
        return counts;
    }
}
