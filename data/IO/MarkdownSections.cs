namespace LatentEbm.Data.IO;

/// <summary>Replaces one named section of a Markdown report in place, so several commands can share one file (docs/benchmarks.md).</summary>
public static class MarkdownSections
{
    /// <summary>
    /// Writes <paramref name="content"/> between <c>&lt;!-- begin NAME --&gt;</c> and <c>&lt;!-- end NAME --&gt;</c>
    /// in <paramref name="path"/>, appending the section when absent; the file is replaced atomically.
    /// </summary>
    public static void Replace(string path, string name, string content)
    {
        string begin = $"<!-- begin {name} -->", end = $"<!-- end {name} -->";
        string text = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n\nMeasured on this project's machines; each section names its command.\n";
        string section = $"{begin}\n{content.TrimEnd()}\n{end}";
        int i = text.IndexOf(begin, StringComparison.Ordinal), j = text.IndexOf(end, StringComparison.Ordinal);
        text = i >= 0 && j > i ? text[..i] + section + text[(j + end.Length)..] : text.TrimEnd() + "\n\n" + section + "\n";
        AtomicFile.WriteAllText(path, text);
    }
}
