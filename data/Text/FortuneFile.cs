using LatentEbm.Data.Sources;

namespace LatentEbm.Data.Text;

/// <summary>
/// A fortune(6) data file (Debian's <c>fortunes</c> package: <c>/usr/share/games/fortunes/fortunes</c>): records separated
/// by lines holding only <c>%</c>. A record's attribution lines (starting, after white space, with <c>--</c>) are left
/// out and its other lines joined by single spaces; empty records are left out.
/// </summary>
public static class FortuneFile
{
    /// <summary>Where Debian's <c>fortunes</c> package puts its general quotes.</summary>
    public const string DebianPath = "/usr/share/games/fortunes/fortunes";

    /// <summary>The quotes of <paramref name="path"/>, in file order.</summary>
    /// <exception cref="FileNotFoundException">No such file (on Debian: <c>apt-get install fortunes</c>).</exception>
    /// <exception cref="DataFormatException">Not UTF-8 text (naming the line) or a NUL character.</exception>
    public static IReadOnlyList<string> Quotes(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no fortune file at {path} (Debian: apt-get install fortunes)", path);
        var quotes = new List<string>();
        var record = new List<string>();
        void Flush()
        {
            string quote = string.Join(' ', record);
            if (quote.Length > 0) quotes.Add(quote);
            record.Clear();
        }
        foreach (string line in TextCorpus.Lines(path))
        {
            if (line.Trim() == "%") { Flush(); continue; }
            string text = line.Trim();
            if (text.Length == 0 || text.StartsWith("--", StringComparison.Ordinal)) continue;
            record.Add(text);
        }
        Flush();
        return quotes;
    }
}
