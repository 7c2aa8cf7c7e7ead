using LatentEbm.Data.Text;

namespace LatentEbm.Training.Text.Evaluation;

/// <summary>
/// The word-frequency KL of generated text against the training text (PAPER.md, "Text model", metrics):
/// KL(p_train || p_gen) = Σ_w p_train(w) log(p_train(w) / p_gen(w)) over the vocabulary's words, with
/// p_train(w) = c_train(w) / N_train (plain relative frequency: words it lacks add 0) and the generated distribution
/// smoothed by add-ε over the W words, p_gen(w) = (c_gen(w) + ε) / (N_gen + ε W), so that a training word the
/// generated text never uses costs a finite amount (ε = 1 is add-one, Laplace). The four specials
/// <c>&lt;pad&gt; &lt;unk&gt; &lt;s&gt; &lt;/s&gt;</c> are not counted, in either text: <c>&lt;unk&gt;</c> stands for many different
/// rare words, so its frequency says nothing about any one word. Accumulated in float64.
/// </summary>
public static class WordFrequencyKl
{
    /// <summary>The default ε: add-one smoothing.</summary>
    public const double DefaultPseudoCount = 1.0;

    /// <summary>Ids below this are the specials, not counted.</summary>
    private const int FirstWordId = Vocabulary.EndId + 1;

    /// <summary>KL(p_train || p_gen) of the unigram word distributions of two texts.</summary>
    /// <param name="training">Training sentences (word ids; specials skipped).</param>
    /// <param name="generated">Generated sentences (word ids; specials skipped).</param>
    /// <param name="vocabularySize">V, the specials included (more than 4).</param>
    /// <param name="pseudoCount">ε ≥ 0, finite, added to every generated count; 0 gives +∞ when a training word is missing.</param>
    /// <exception cref="ArgumentOutOfRangeException">V ≤ 4, or ε negative or not finite.</exception>
    /// <exception cref="ArgumentException">An id outside [0, V), a training text without words, or a generated text without words and ε = 0.</exception>
    public static WordFrequencyKlResult Compute(IEnumerable<int[]> training, IEnumerable<int[]> generated, int vocabularySize, double pseudoCount = DefaultPseudoCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(vocabularySize, FirstWordId);
        if (!(pseudoCount >= 0) || !double.IsFinite(pseudoCount))
            throw new ArgumentOutOfRangeException(nameof(pseudoCount), pseudoCount, "the pseudo-count must be finite and at least 0");
        long[] trainCounts = Counts(training, vocabularySize, nameof(training), out long nTrain);
        long[] genCounts = Counts(generated, vocabularySize, nameof(generated), out long nGen);
        int words = vocabularySize - FirstWordId;
        if (nTrain == 0) throw new ArgumentException("the training text holds no word (specials are not counted)", nameof(training));
        if (nGen == 0 && pseudoCount == 0) throw new ArgumentException("the generated text holds no word and the pseudo-count is 0: p_gen is undefined", nameof(generated));
        double genTotal = nGen + pseudoCount * words;
        double kl = 0;
        int missing = 0;
        for (int w = FirstWordId; w < vocabularySize; w++)
        {
            if (trainCounts[w] == 0) continue;
            if (genCounts[w] == 0) missing++;
            double p = (double)trainCounts[w] / nTrain;
            double q = (genCounts[w] + pseudoCount) / genTotal;
            kl += p * (Math.Log(p) - Math.Log(q));
        }
        return new WordFrequencyKlResult(kl, pseudoCount, words, nTrain, nGen, missing);
    }

    private static long[] Counts(IEnumerable<int[]> sentences, int vocabularySize, string parameter, out long total)
    {
        var counts = new long[vocabularySize];
        total = 0;
        int index = 0;
        foreach (int[] sentence in sentences)
        {
            foreach (int id in sentence)
            {
                if ((uint)id >= (uint)vocabularySize)
                    throw new ArgumentException($"sentence {index}: id {id} is outside a vocabulary of {vocabularySize} tokens", parameter);
                if (id < FirstWordId) continue; // <pad> <unk> <s> </s>
                counts[id]++;
                total++;
            }
            index++;
        }
        return counts;
    }
}
