using System.Text;
using LatentEbm.Inference.Bundles;

namespace LatentEbm.Inference.Text;

/// <summary>A sentence as the text model reads it: its words, their ids (no &lt;s&gt; or &lt;/s&gt;) and how many are &lt;unk&gt;.</summary>
/// <param name="Words">The white-space separated words as given.</param>
/// <param name="Ids">Each word's id; a word outside the vocabulary is <see cref="TextVocabulary.UnknownId"/>.</param>
/// <param name="UnknownWords">How many words read as &lt;unk&gt;.</param>
public sealed record TokenizedSentence(string[] Words, int[] Ids, int UnknownWords);

/// <summary>
/// The word-level tokenizer of a text bundle over its shipped vocabulary file (one token per line, id = line number, the
/// four specials <c>&lt;pad&gt; &lt;unk&gt; &lt;s&gt; &lt;/s&gt;</c> first). The same rule as the training side's
/// <c>LatentEbm.Data.Text.Vocabulary</c> (Microsoft.ML.Tokenizers word-level WordPiece): words split at white space,
/// matched exactly (case-sensitive), a word outside the vocabulary or longer than <see cref="MaxWordLength"/> characters
/// reads as &lt;unk&gt;, and the literal word <c>&lt;unk&gt;</c> is &lt;unk&gt;. Unlike training, the other specials are
/// refused as words. Immutable and thread-safe.
/// </summary>
public sealed class TextVocabulary
{
    /// <summary>&lt;pad&gt;'s id.</summary>
    public const int PadId = 0;
    /// <summary>&lt;unk&gt;'s id.</summary>
    public const int UnknownId = 1;
    /// <summary>&lt;s&gt;'s id.</summary>
    public const int StartId = 2;
    /// <summary>&lt;/s&gt;'s id.</summary>
    public const int EndId = 3;
    /// <summary>Longer words read as &lt;unk&gt; (as the training side's WordPiece limit).</summary>
    public const int MaxWordLength = 100;

    /// <summary>The special tokens by id.</summary>
    public static readonly IReadOnlyList<string> Specials = ["<pad>", "<unk>", "<s>", "</s>"];

    private readonly string[] tokens;
    private readonly Dictionary<string, int> ids;

    /// <summary>A vocabulary of <paramref name="tokens"/> (by id) for sentences of at most <paramref name="maxWords"/> words.</summary>
    /// <exception cref="ArgumentException">The specials are not the first four tokens, no word follows them, a token is empty, holds white space or appears twice.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxWords"/> is below 1.</exception>
    public TextVocabulary(IReadOnlyList<string> tokens, int maxWords)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWords, 1);
        if (tokens.Count < Specials.Count + 1 || !tokens.Take(Specials.Count).SequenceEqual(Specials))
            throw new ArgumentException($"a vocabulary starts with {string.Join(" ", Specials)} and holds at least one word", nameof(tokens));
        ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (string.IsNullOrEmpty(token) || token.Any(char.IsWhiteSpace))
                throw new ArgumentException($"token {i} '{token}' is empty or holds white space", nameof(tokens));
            if (!ids.TryAdd(token, i)) throw new ArgumentException($"token '{token}' appears twice (ids {ids[token]} and {i})", nameof(tokens));
        }
        this.tokens = [.. tokens];
        MaxWords = maxWords;
    }

    /// <summary>Reads a vocabulary file (UTF-8, one token per line).</summary>
    /// <exception cref="BundleException">Missing, not UTF-8, or not a vocabulary; the message names the file.</exception>
    public static TextVocabulary Load(string path, int maxWords)
    {
        if (!File.Exists(path)) throw new BundleException(path, "missing");
        try
        {
            string text = File.ReadAllText(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
            return new TextVocabulary(text.TrimEnd('\n').Split('\n'), maxWords);
        }
        catch (Exception e) when (e is DecoderFallbackException or ArgumentException)
        {
            throw new BundleException(path, $"not a vocabulary file ({e.Message})", e);
        }
    }

    /// <summary>V, the specials included.</summary>
    public int Count => tokens.Length;

    /// <summary>Most words per sentence.</summary>
    public int MaxWords { get; }

    /// <summary>The token of <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not in [0, <see cref="Count"/>).</exception>
    public string this[int id] => (uint)id < (uint)tokens.Length ? tokens[id] : throw new ArgumentOutOfRangeException(nameof(id), id, $"token ids run from 0 to {tokens.Length - 1}");

    /// <summary>The id of <paramref name="word"/>, or <see cref="UnknownId"/>.</summary>
    public int Id(string word) => word.Length <= MaxWordLength && ids.TryGetValue(word, out int id) ? id : UnknownId;

    /// <summary>Tokenizes one sentence (words split at white space).</summary>
    /// <param name="sentence">The sentence.</param>
    /// <param name="index">Its index in its request, named by errors.</param>
    /// <exception cref="TextInputException">No word, more than <see cref="MaxWords"/> words, or a reserved token.</exception>
    public TokenizedSentence Tokenize(string sentence, int index = 0)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        string[] words = sentence.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
            throw new TextInputException(TextInputProblem.Empty, index, 0, MaxWords, $"sentence {index} has no word");
        if (words.Length > MaxWords)
            throw new TextInputException(TextInputProblem.TooLong, index, words.Length, MaxWords,
                $"sentence {index} has {words.Length} words; the model reads at most {MaxWords}");
        var result = new int[words.Length];
        int unknown = 0;
        for (int i = 0; i < words.Length; i++)
        {
            int id = Id(words[i]);
            if (id is PadId or StartId or EndId)
                throw new TextInputException(TextInputProblem.ReservedToken, index, words.Length, MaxWords,
                    $"sentence {index}, word {i + 1}: '{words[i]}' is a reserved token");
            if (id == UnknownId) unknown++;
            result[i] = id;
        }
        return new TokenizedSentence(words, result, unknown);
    }

    /// <summary>The words of <paramref name="ids"/> (stopping at &lt;/s&gt;, &lt;s&gt; and &lt;pad&gt; left out).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id outside the vocabulary.</exception>
    public string[] Words(IEnumerable<int> ids) =>
        [.. ids.TakeWhile(id => id != EndId).Where(id => id is not (StartId or PadId)).Select(id => this[id])];

    /// <summary>
    /// Token rows <c>[n, T + 1]</c> (int64, row-major) of word-id sentences: each row <c>&lt;s&gt; w1 ... wn &lt;/s&gt;</c>, then
    /// &lt;pad&gt; up to the longest (T = the longest sentence's words + 1), as the text graphs read them.
    /// </summary>
    /// <returns>The ids and the row length T + 1.</returns>
    public static (long[] Tokens, int Width) Rows(IReadOnlyList<int[]> sentences)
    {
        int width = sentences.Max(s => s.Length) + 2;
        var rows = new long[sentences.Count * width]; // 0 = <pad>
        for (int b = 0; b < sentences.Count; b++)
        {
            rows[b * width] = StartId;
            for (int t = 0; t < sentences[b].Length; t++) rows[b * width + 1 + t] = sentences[b][t];
            rows[b * width + 1 + sentences[b].Length] = EndId;
        }
        return (rows, width);
    }
}
