using System.Text;
using LatentEbm.Data.Sources;
using Microsoft.ML.Tokenizers;

namespace LatentEbm.Data.Text;

/// <summary>
/// A word-level vocabulary: the four special tokens <c>&lt;pad&gt; &lt;unk&gt; &lt;s&gt; &lt;/s&gt;</c> (ids 0 to 3), then
/// words by decreasing count in the training sentences (ties in ordinal order), at most <see cref="DefaultMaxWords"/>
/// of them (PAPER.md, "Text model": PTB's 10,000 words plus the specials). Words split at white space only, as
/// Penn Treebank is already tokenised; a word outside the vocabulary reads as <c>&lt;unk&gt;</c>. Encoding is
/// Microsoft.ML.Tokenizers' <see cref="WordPieceTokenizer"/> over this token list with a white-space pre-tokenizer
/// and no sub-word entries, which makes it word-level: a word is its own id or <c>&lt;unk&gt;</c>. Stored in runs and
/// bundles as a text file, one token per line, the line number being the id (the WordPiece vocabulary format).
/// </summary>
public sealed class Vocabulary
{
    /// <summary>The padding token, id 0: fills batches past a sentence's end; never predicted.</summary>
    public const string Pad = "<pad>";

    /// <summary>The unknown-word token, id 1.</summary>
    public const string Unknown = "<unk>";

    /// <summary>The start-of-sentence token, id 2: the decoder's first input.</summary>
    public const string Start = "<s>";

    /// <summary>The end-of-sentence token, id 3: the decoder's last target.</summary>
    public const string End = "</s>";

    /// <summary>Id of <see cref="Pad"/>.</summary>
    public const int PadId = 0;

    /// <summary>Id of <see cref="Unknown"/>.</summary>
    public const int UnknownId = 1;

    /// <summary>Id of <see cref="Start"/>.</summary>
    public const int StartId = 2;

    /// <summary>Id of <see cref="End"/>.</summary>
    public const int EndId = 3;

    /// <summary>Longer words read as <c>&lt;unk&gt;</c> (WordPiece's own limit; PTB's longest word has 19 characters).</summary>
    public const int MaxWordLength = 100;

    /// <summary>PTB's vocabulary size without the specials.</summary>
    public const int DefaultMaxWords = 10_000;

    private static readonly string[] Specials = [Pad, Unknown, Start, End];
    private readonly string[] _tokens;
    private readonly WordPieceTokenizer _tokenizer;

    private Vocabulary(string[] tokens)
    {
        _tokens = tokens;
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', tokens) + "\n"));
        var specials = Specials.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i);
        _tokenizer = WordPieceTokenizer.Create(stream, new WordPieceOptions
        {
            PreTokenizer = PreTokenizer.CreateWhiteSpace(specials),
            SpecialTokens = specials,
            UnknownToken = Unknown,
            ContinuingSubwordPrefix = "##", // no entry starts with it (Load refuses one): words are never split
            MaxInputCharsPerWord = MaxWordLength,
        });
    }

    /// <summary>Tokens including the specials.</summary>
    public int Count => _tokens.Length;

    /// <summary>The token of <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not in [0, <see cref="Count"/>).</exception>
    public string this[int id] => (uint)id < (uint)_tokens.Length ? _tokens[id] : throw new ArgumentOutOfRangeException(nameof(id), id, $"token ids run from 0 to {_tokens.Length - 1}");

    /// <summary>Every token, by id.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>
    /// Builds the vocabulary of <paramref name="sentences"/> (each a line of white-space separated words).
    /// </summary>
    /// <param name="sentences">Training sentences.</param>
    /// <param name="maxWords">At most this many words besides the specials (the most frequent).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxWords"/> is below 1.</exception>
    public static Vocabulary Build(IEnumerable<string> sentences, int maxWords = DefaultMaxWords)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWords, 1);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string sentence in sentences)
            foreach (string word in Words(sentence))
                if (Array.IndexOf(Specials, word) < 0) counts[word] = counts.GetValueOrDefault(word) + 1;
        var words = counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(maxWords).Select(p => p.Key);
        return new Vocabulary([.. Specials, .. words]);
    }

    /// <summary>Reads a vocabulary file written by <see cref="Save"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="DataFormatException">Not UTF-8, the specials are not the first four lines, a token is empty, holds white space or starts with "##", or appears twice.</exception>
    public static Vocabulary Load(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        }
        catch (DecoderFallbackException e)
        {
            throw new DataFormatException(path, "a vocabulary file is UTF-8 text, one token per line", e);
        }
        if (lines.Length < Specials.Length + 1 || !lines.Take(Specials.Length).SequenceEqual(Specials))
            throw new DataFormatException(path, $"a vocabulary starts with the lines {string.Join(" ", Specials)} and holds at least one word");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Length; i++)
        {
            string token = lines[i];
            if (token.Length == 0 || token.Any(char.IsWhiteSpace) || token.StartsWith("##", StringComparison.Ordinal))
                throw new DataFormatException(path, $"line {i + 1}: a token is not empty, holds no white space and does not start with ##, got '{token}'");
            if (!seen.Add(token)) throw new DataFormatException(path, $"line {i + 1}: token '{token}' appears twice");
        }
        return new Vocabulary(lines);
    }

    /// <summary>Writes the tokens, one per line, atomically.</summary>
    public void Save(string path) => IO.AtomicFile.WriteAllText(path, string.Join('\n', _tokens) + "\n");

    /// <summary>The word ids of <paramref name="sentence"/> (no start or end token): a word outside the vocabulary is <see cref="UnknownId"/>.</summary>
    public int[] Encode(string sentence) => [.. _tokenizer.EncodeToIds(sentence)];

    /// <summary>Whether <paramref name="word"/> is a token of the vocabulary (specials included).</summary>
    public bool Contains(string word) => Array.IndexOf(_tokens, word) >= 0;

    /// <summary>The words of <paramref name="ids"/> joined by single spaces, stopping at <see cref="EndId"/>; start and padding tokens are left out.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id outside the vocabulary.</exception>
    public string Decode(IEnumerable<int> ids) =>
        string.Join(' ', ids.TakeWhile(id => id != EndId).Where(id => id != StartId && id != PadId).Select(id => this[id]));

    /// <summary>The white-space separated words of a line.</summary>
    public static string[] Words(string line) => line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
}
