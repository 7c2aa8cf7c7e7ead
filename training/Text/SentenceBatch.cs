using LatentEbm.Data.Text;
using static TorchSharp.torch;

namespace LatentEbm.Training.Text;

/// <summary>Sentences as the decoder reads them.</summary>
public static class SentenceBatch
{
    /// <summary>
    /// Token ids <c>[B, n + 2]</c> (int64), n the longest sentence's word count: each row
    /// <c>&lt;s&gt; w1 ... wn &lt;/s&gt;</c>, then <c>&lt;pad&gt;</c>.
    /// </summary>
    /// <param name="sentences">Word ids of each sentence, each at least one word.</param>
    /// <exception cref="ArgumentException">No sentence, or an empty one.</exception>
    public static Tensor Tokens(IReadOnlyList<int[]> sentences)
    {
        if (sentences.Count == 0) throw new ArgumentException("a batch holds at least one sentence", nameof(sentences));
        int longest = sentences.Max(s => s.Length);
        if (sentences.Any(s => s.Length == 0)) throw new ArgumentException("a sentence holds at least one word", nameof(sentences));
        var ids = new long[sentences.Count * (longest + 2)];
        for (int b = 0; b < sentences.Count; b++)
        {
            int row = b * (longest + 2);
            ids[row] = Vocabulary.StartId;
            for (int t = 0; t < sentences[b].Length; t++) ids[row + 1 + t] = sentences[b][t];
            ids[row + 1 + sentences[b].Length] = Vocabulary.EndId;
            // the rest stays 0 = <pad>
        }
        return tensor(ids, [sentences.Count, longest + 2], int64);
    }
}
