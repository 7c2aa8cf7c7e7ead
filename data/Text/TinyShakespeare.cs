using LatentEbm.Data.Sources;

namespace LatentEbm.Data.Text;

/// <summary>
/// The spoken lines of Tiny Shakespeare (<c>../shared/data/tinyshakespeare.txt</c>): the play text as blocks of a speaker
/// line (<c>First Citizen:</c>) followed by the lines spoken, blocks separated by blank lines. Speaker lines and blank
/// lines are left out; each spoken line is one item, in file order, as written (see <see cref="PtbStyle"/> to normalise).
/// </summary>
public static class TinyShakespeare
{
    /// <summary>The spoken lines of <paramref name="path"/>, in file order.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="DataFormatException">Not UTF-8 text (naming the line) or a NUL character.</exception>
    public static IReadOnlyList<string> SpokenLines(string path)
    {
        var lines = new List<string>();
        bool expectSpeaker = true;
        foreach (string line in TextCorpus.Lines(path))
        {
            if (line.Trim().Length == 0) { expectSpeaker = true; continue; }
            if (expectSpeaker && line.TrimEnd().EndsWith(':')) { expectSpeaker = false; continue; }
            expectSpeaker = false;
            lines.Add(line.Trim());
        }
        return lines;
    }
}
