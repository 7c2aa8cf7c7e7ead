using System.Text;
using LatentEbm.Data.Sources;

namespace LatentEbm.Data.Text;

/// <summary>
/// Sentences of a corpus as word ids: one sentence per line (Penn Treebank's format: already tokenised, words
/// separated by spaces, <c>&lt;unk&gt;</c> for rare words and <c>N</c> for numbers). Lines longer than
/// <see cref="MaxWords"/> words are counted in <see cref="SkippedTooLong"/> and left out, never cut; empty lines
/// are counted and left out.
/// </summary>
/// <param name="Path">The file read.</param>
/// <param name="Sentences">Word ids of each kept sentence, without start or end tokens; each 1 to <see cref="MaxWords"/> long.</param>
/// <param name="MaxWords">The longest sentence kept, in words (start and end tokens not counted).</param>
/// <param name="SkippedTooLong">Lines left out for having more than <see cref="MaxWords"/> words.</param>
/// <param name="SkippedEmpty">Lines left out for having no word.</param>
/// <param name="UnknownWords">Words of the kept sentences read as <c>&lt;unk&gt;</c>, the corpus's own <c>&lt;unk&gt;</c> included.</param>
public sealed record TextCorpus(string Path, IReadOnlyList<int[]> Sentences, int MaxWords, int SkippedTooLong, int SkippedEmpty, long UnknownWords)
{
    /// <summary>The sentence length limit of PAPER.md's text setting, in words.</summary>
    public const int DefaultMaxWords = 40;

    /// <summary>Words in the kept sentences.</summary>
    public long Words => Sentences.Sum(s => (long)s.Length);

    /// <summary>Reads <paramref name="path"/> with <paramref name="vocabulary"/>.</summary>
    /// <param name="path">A UTF-8 text file, one sentence per line.</param>
    /// <param name="vocabulary">Maps words to ids; others become <c>&lt;unk&gt;</c>.</param>
    /// <param name="maxWords">The longest sentence kept, in words; at least 1.</param>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="DataFormatException">The file is not UTF-8 text (the message names the line) or holds a NUL character.</exception>
    public static TextCorpus Read(string path, Vocabulary vocabulary, int maxWords = DefaultMaxWords)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWords, 1);
        var sentences = new List<int[]>();
        int tooLong = 0, empty = 0;
        long unknown = 0;
        foreach (string line in Lines(path))
        {
            int words = Vocabulary.Words(line).Length;
            if (words == 0) { empty++; continue; }
            if (words > maxWords) { tooLong++; continue; }
            int[] ids = vocabulary.Encode(line);
            if (ids.Length != words) throw new InvalidOperationException($"the tokenizer made {ids.Length} ids of {words} words"); // word-level by construction
            unknown += ids.Count(id => id == Vocabulary.UnknownId);
            sentences.Add(ids);
        }
        return new TextCorpus(path, sentences, maxWords, tooLong, empty, unknown);
    }

    /// <summary>The lines of a UTF-8 text file, checked.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="DataFormatException">Not UTF-8 (naming the line) or a NUL character.</exception>
    public static IEnumerable<string> Lines(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no text file at {path}", path);
        byte[] bytes = File.ReadAllBytes(path); // decoded line by line below, so an error names its line
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        int start = 0, number = 1;
        if (bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble)) start = 3;
        while (start < bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) end = bytes.Length;
            var raw = bytes.AsSpan(start, end - start);
            if (raw.Length > 0 && raw[^1] == (byte)'\r') raw = raw[..^1];
            string line;
            try
            {
                line = strict.GetString(raw);
            }
            catch (DecoderFallbackException e)
            {
                throw new DataFormatException(path, $"line {number} is not UTF-8 text", e);
            }
            if (line.Contains('\0')) throw new DataFormatException(path, $"line {number} holds a NUL character: not a text file");
            yield return line;
            start = end + 1;
            number++;
        }
    }
}
