namespace LatentEbm.Data.Text;

/// <summary>Where a sentence of a <see cref="TextAnomalySet"/> comes from.</summary>
public enum TextAnomalySource
{
    /// <summary>A Penn Treebank test sentence: normal (label 0).</summary>
    PennTreebank,
    /// <summary>A spoken line of Tiny Shakespeare, PTB-style normalised: an anomaly (label 1).</summary>
    TinyShakespeare,
    /// <summary>A fortune(6) quote, PTB-style normalised: an anomaly (label 1).</summary>
    Fortune,
}

/// <summary>One sentence of the text anomaly set.</summary>
/// <param name="Text">Words separated by single spaces, PTB style.</param>
/// <param name="Source">Its corpus.</param>
public sealed record TextAnomalyItem(string Text, TextAnomalySource Source)
{
    /// <summary>1 for an anomaly (not PTB), 0 for a normal sentence.</summary>
    public byte Label => Source == TextAnomalySource.PennTreebank ? (byte)0 : (byte)1;
}

/// <summary>Settings of <see cref="TextAnomalySet.Build"/>, fixed before any score is seen.</summary>
public sealed record TextAnomalySetSettings
{
    /// <summary>The longest sentence kept, in words; longer ones are counted and left out (never cut). The text model's limit.</summary>
    public int MaxWords { get; init; } = TextCorpus.DefaultMaxWords;

    /// <summary>How many Tiny Shakespeare lines are drawn (uniformly without replacement, by <see cref="Seed"/>) from the usable ones.</summary>
    public int ShakespeareLines { get; init; } = 500;

    /// <summary>The seed of the Tiny Shakespeare draw.</summary>
    public int Seed { get; init; } = 13;
}

/// <summary>
/// The text anomaly set of issue 13 (beyond the paper): every Penn Treebank test sentence of 1 to <see cref="TextAnomalySetSettings.MaxWords"/>
/// words as normal data, against anomalies written in PTB's style (<see cref="PtbStyle"/>): a seeded draw of Tiny Shakespeare's
/// spoken lines and every fortune quote, each of 1 to MaxWords words after normalisation. Counts of what was left out are kept.
/// </summary>
/// <param name="Items">Normal sentences in file order, then Shakespeare lines in draw order, then fortunes in file order.</param>
/// <param name="Settings">The settings used.</param>
/// <param name="SkippedTooLong">Per source, the sentences left out for having more than MaxWords words.</param>
/// <param name="SkippedEmpty">Per source, the lines with no word left after normalisation.</param>
/// <param name="UsableShakespeareLines">Tiny Shakespeare lines within the limits, from which the draw was made.</param>
public sealed record TextAnomalySet(IReadOnlyList<TextAnomalyItem> Items, TextAnomalySetSettings Settings,
    IReadOnlyDictionary<TextAnomalySource, int> SkippedTooLong, IReadOnlyDictionary<TextAnomalySource, int> SkippedEmpty, int UsableShakespeareLines)
{
    /// <summary>Sentences from <paramref name="source"/>.</summary>
    public int Count(TextAnomalySource source) => Items.Count(i => i.Source == source);

    /// <summary>Builds the set.</summary>
    /// <param name="ptbTest">PTB's test split (one sentence per line, already PTB style; used as written).</param>
    /// <param name="tinyShakespeare">Tiny Shakespeare (<see cref="TinyShakespeare.SpokenLines"/>).</param>
    /// <param name="fortunes">A fortune(6) file (<see cref="FortuneFile.Quotes"/>).</param>
    /// <param name="isWord">The model vocabulary's membership test, for abbreviations' full stops (<see cref="PtbStyle.Normalize"/>).</param>
    /// <param name="settings">Limits and the draw; null = defaults.</param>
    /// <exception cref="FileNotFoundException">A corpus is missing.</exception>
    /// <exception cref="Sources.DataFormatException">A corpus is not UTF-8 text.</exception>
    /// <exception cref="ArgumentException">Fewer usable Shakespeare lines than asked for, or a limit below 1.</exception>
    public static TextAnomalySet Build(string ptbTest, string tinyShakespeare, string fortunes, Func<string, bool>? isWord = null, TextAnomalySetSettings? settings = null)
    {
        settings ??= new TextAnomalySetSettings();
        if (settings.MaxWords < 1 || settings.ShakespeareLines < 1) throw new ArgumentException($"MaxWords and ShakespeareLines must be at least 1, got {settings.MaxWords} and {settings.ShakespeareLines}");
        var tooLong = Enum.GetValues<TextAnomalySource>().ToDictionary(s => s, _ => 0);
        var empty = Enum.GetValues<TextAnomalySource>().ToDictionary(s => s, _ => 0);
        var items = new List<TextAnomalyItem>();
        IEnumerable<string> Kept(IEnumerable<string> sentences, TextAnomalySource source)
        {
            foreach (string s in sentences)
            {
                int words = Vocabulary.Words(s).Length;
                if (words == 0) empty[source]++;
                else if (words > settings.MaxWords) tooLong[source]++;
                else yield return string.Join(' ', Vocabulary.Words(s));
            }
        }
        items.AddRange(Kept(TextCorpus.Lines(ptbTest), TextAnomalySource.PennTreebank).Select(s => new TextAnomalyItem(s, TextAnomalySource.PennTreebank)));
        var lines = Kept(TinyShakespeare.SpokenLines(tinyShakespeare).Select(l => PtbStyle.Normalize(l, isWord)), TextAnomalySource.TinyShakespeare).ToList();
        if (lines.Count < settings.ShakespeareLines)
            throw new ArgumentException($"{tinyShakespeare} has {lines.Count} usable spoken lines, fewer than the {settings.ShakespeareLines} asked for");
        var draw = new Random(settings.Seed);
        int[] order = [.. Enumerable.Range(0, lines.Count)];
        draw.Shuffle(order);
        items.AddRange(order.Take(settings.ShakespeareLines).Select(i => new TextAnomalyItem(lines[i], TextAnomalySource.TinyShakespeare)));
        items.AddRange(Kept(FortuneFile.Quotes(fortunes).Select(q => PtbStyle.Normalize(q, isWord)), TextAnomalySource.Fortune).Select(s => new TextAnomalyItem(s, TextAnomalySource.Fortune)));
        return new TextAnomalySet(items, settings, tooLong, empty, lines.Count);
    }
}
