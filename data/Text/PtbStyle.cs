using System.Text;
using System.Text.RegularExpressions;

namespace LatentEbm.Data.Text;

/// <summary>
/// Rewrites raw English into the style of Mikolov's Penn Treebank files, so that text from another source differs from
/// PTB in what it says rather than in how it is written: lower case (PTB's own number token <c>N</c> kept); a number (digits with <c>. , - /</c>) becomes <c>N</c>; the
/// clitics <c>n't 's 're 've 'll 'd 'm</c> become words of their own (<c>don't</c> → <c>do n't</c>, <c>it's</c> →
/// <c>it 's</c>, <c>investors'</c> → <c>investors '</c>); punctuation at a word's edges is dropped (PTB's LM version has none); inside a word, <c>. - &amp; ' \ /</c>
/// stay (<c>u.s.</c>, <c>sell-off</c>, <c>s&amp;p</c>), anything else splits the word. <c>$</c>, <c>#</c> (PTB's pound sign; £ becomes it)
/// and <c>&amp;</c> standing alone stay words, and lead a number as words of their own (<c>$5</c> → <c>$ N</c>), as in PTB.
/// </summary>
public static partial class PtbStyle
{
    private static readonly string[] Clitics = ["n't", "'s", "'re", "'ve", "'ll", "'d", "'m"];

    /// <summary>The words of <paramref name="raw"/> in PTB style, joined by single spaces (empty when none is left).</summary>
    /// <param name="raw">Any text; curly apostrophes count as straight ones.</param>
    /// <param name="isWord">
    /// The vocabulary's membership test, used for a word's final full stop: it stays when the word with it is a word of the
    /// vocabulary (PTB's <c>corp.</c>, <c>mr.</c>) and goes otherwise (a sentence's end). Null: it stays only after an
    /// abbreviation with another full stop inside (<c>u.s.</c>), as it does with one.
    /// </param>
    public static string Normalize(string raw, Func<string, bool>? isWord = null)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var words = new List<string>();
        raw = DigitGroups().Replace(raw, ""); // 1,200 and 3.5 are one number each
        foreach (string chunk in raw.Replace('\u2019', '\'').Replace('\u2018', '\'').Replace('\u00a3', '#')
                     .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            foreach (string piece in SplitAtForeignCharacters(chunk))
                AddWord(piece, words, isWord);
        return string.Join(' ', words);
    }

    private static IEnumerable<string> SplitAtForeignCharacters(string chunk)
    {
        var current = new StringBuilder();
        foreach (char c in chunk)
        {
            if (char.IsLetterOrDigit(c) || c is '.' or '-' or '&' or '\'' or '$' or '#' or '\\' or '/') current.Append(c);
            else if (current.Length > 0) { yield return current.ToString(); current.Clear(); }
        }
        if (current.Length > 0) yield return current.ToString();
    }

    private static void AddWord(string piece, List<string> words, Func<string, bool>? isWord)
    {
        if (piece is "$" or "#" or "&" or "N" or "'") { words.Add(piece); return; } // a PTB number token stays as it is
        piece = piece.ToLowerInvariant();
        if (Clitics.Contains(piece)) { words.Add(piece); return; } // PTB's own split clitics
        if (piece.Length > 2 && piece.EndsWith("s'", StringComparison.Ordinal)) { AddWord(piece[..^1], words, isWord); words.Add("'"); return; } // investors' -> investors '
        string word = piece.TrimStart('$', '#').Trim('-', '\'', '&').TrimStart('.');
        string bare = word.TrimEnd('.');
        if (!bare.Contains('.') && isWord?.Invoke(word) != true) word = bare; // a sentence's full stop goes; an abbreviation's stays
        if (word.Length == 0) return;
        if (piece[0] is '$' or '#') words.Add(piece[..1]); // $5 -> $ N, as PTB writes money
        string? clitic = Clitics.FirstOrDefault(c => word.Length > c.Length && word.EndsWith(c, StringComparison.Ordinal));
        if (clitic is not null) word = word[..^clitic.Length];
        bool number = word.Any(char.IsDigit) && word.All(c => char.IsDigit(c) || c is '.' or '-' or '/' or '\\');
        words.Add(number ? "N" : word); // 1,200 and 3\/4 are N; 1970s stays a word, as in PTB
        if (clitic is not null) words.Add(clitic);
    }

    [GeneratedRegex(@"(?<=\d)[,.](?=\d)")]
    private static partial Regex DigitGroups();
}
