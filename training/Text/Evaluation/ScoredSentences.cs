using LatentEbm.Data.Text;
using static TorchSharp.torch;

namespace LatentEbm.Training.Text.Evaluation;

/// <summary>
/// Sentences as the evaluation models score them: the <see cref="SentenceBatch"/> format (<c>&lt;s&gt; w1 ... wn &lt;/s&gt;</c>,
/// then <c>&lt;pad&gt;</c>), except that an empty sentence is allowed (generated text can end at once: <c>&lt;s&gt; &lt;/s&gt;</c>,
/// one scored token), and every word id is checked.
/// </summary>
internal static class ScoredSentences
{
    /// <summary>Scored tokens of a sentence of <paramref name="words"/> words: the words and <c>&lt;/s&gt;</c>.</summary>
    public static int TokenCount(int[] words) => words.Length + 1;

    /// <summary>
    /// Checks that every id is a word of a vocabulary of <paramref name="vocabularySize"/> tokens: in [0, V) and not
    /// <c>&lt;pad&gt;</c>, <c>&lt;s&gt;</c> or <c>&lt;/s&gt;</c> (<c>&lt;unk&gt;</c> is a word here).
    /// </summary>
    /// <exception cref="ArgumentException">No sentence, or an id that is no word, naming the sentence, position and id.</exception>
    public static void Check(IReadOnlyList<int[]> sentences, int vocabularySize, string parameter)
    {
        if (sentences.Count == 0) throw new ArgumentException("at least one sentence is needed", parameter);
        for (int b = 0; b < sentences.Count; b++)
        {
            int[] s = sentences[b] ?? throw new ArgumentException($"sentence {b} is null", parameter);
            for (int t = 0; t < s.Length; t++)
                if (s[t] < 0 || s[t] >= vocabularySize || s[t] is Vocabulary.PadId or Vocabulary.StartId or Vocabulary.EndId)
                    throw new ArgumentException($"sentence {b}, position {t}: id {s[t]} is not a word of a vocabulary of {vocabularySize} tokens (<pad>, <s> and </s> are not words)", parameter);
        }
    }

    /// <summary>Token ids <c>[B, n + 2]</c> (int64) of the sentences at <paramref name="indices"/>, n the longest one's length.</summary>
    public static Tensor Tokens(IReadOnlyList<int[]> sentences, ReadOnlySpan<int> indices)
    {
        int longest = 0;
        foreach (int i in indices) longest = Math.Max(longest, sentences[i].Length);
        int width = longest + 2;
        var ids = new long[indices.Length * width];
        for (int b = 0; b < indices.Length; b++)
        {
            int[] s = sentences[indices[b]];
            int row = b * width;
            ids[row] = Vocabulary.StartId;
            for (int t = 0; t < s.Length; t++) ids[row + 1 + t] = s[t];
            ids[row + 1 + s.Length] = Vocabulary.EndId;
        }
        return tensor(ids, [indices.Length, width], int64);
    }

    /// <summary>The indices 0 .. n-1 ordered by sentence length (stable), so batches carry little padding.</summary>
    public static int[] ByLength(IReadOnlyList<int[]> sentences) =>
        [.. Enumerable.Range(0, sentences.Count).OrderBy(i => sentences[i].Length)];
}
