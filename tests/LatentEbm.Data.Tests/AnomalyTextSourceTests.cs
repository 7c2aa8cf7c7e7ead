using LatentEbm.Data.Text;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Data.Tests;

/// <summary>
/// The anomaly sources of the text anomaly job (issue 13): Tiny Shakespeare's spoken lines, fortune(6) quotes, and the PTB-style
/// normalisation that makes them read like Mikolov's Penn Treebank files.
/// </summary>
public class AnomalyTextSourceTests
{
    [Theory]
    [InlineData("Let us kill him, and we'll have corn at our own price.", "let us kill him and we 'll have corn at our own price")]
    [InlineData("It wasn't $5 -- it's 1,200 dollars!", "it was n't $ N it 's N dollars")]
    [InlineData("The U.S. sell-off hit S&P futures...", "the u.s. sell-off hit s&p futures")]
    [InlineData("\"Quoted,\" (aside) [end]; a:b", "quoted aside end a b")]
    [InlineData("Don\u2019t PANIC.", "do n't panic")]
    [InlineData(" ... -- ", "")]
    [InlineData("The investors' money", "the investors ' money")]
    public void NormalisationWritesPtbStyle(string raw, string expected) => Assert.Equal(expected, PtbStyle.Normalize(raw));

    [Fact]
    public void PtbTestSentencesAreAlmostAlwaysLeftAsTheyAre()
    {
        // Real PTB lines without <unk> (whose brackets are not PTB words) are already PTB style: normalising must not change them.
        var lines = TextCorpus.Lines(Path.Combine(TestPaths.TextCorpora, "ptb.test.txt"))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.Contains("<unk>")).ToList();
        var vocabulary = Vocabulary.Build(TextCorpus.Lines(Path.Combine(TestPaths.TextCorpora, "ptb.train.head.txt")));
        var dotted = vocabulary.Tokens.Where(t => t.EndsWith('.')).ToHashSet();
        string Normalized(string l) => PtbStyle.Normalize(l, dotted.Contains);
        int changed = lines.Count(l => Normalized(l) != string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        Assert.True(lines.Count > 1000, $"{lines.Count} lines");
        Assert.True(changed < lines.Count / 100, $"{changed} of {lines.Count} PTB lines changed by normalisation: " + string.Join(" | ", lines.Where(l => Normalized(l) != string.Join(" ", l.Split(" ", StringSplitOptions.RemoveEmptyEntries))).Take(3).Select(l => l + " => " + Normalized(l))));
    }

    [Fact]
    public void TinyShakespeareKeepsSpokenLinesAndDropsSpeakers()
    {
        string path = Path.Combine(Path.GetTempPath(), $"shakespeare-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\nMENENIUS:\nWhy, masters:\nmy good friends\n");
        try
        {
            Assert.Equal(["Before we proceed any further, hear me speak.", "Speak, speak.", "Why, masters:", "my good friends"], TinyShakespeare.SpokenLines(path));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void TheRealTinyShakespeareHasItsSpokenLines()
    {
        var lines = TinyShakespeare.SpokenLines(Path.Combine(TestPaths.TextCorpora, "tinyshakespeare.txt"));
        Assert.Equal("Before we proceed any further, hear me speak.", lines[0]);
        Assert.DoesNotContain(lines, l => l == "First Citizen:" || l == "All:");
        Assert.InRange(lines.Count, 25_000, 35_000); // 40,000 lines in the file, about 7,200 of them speakers and blank
    }

    [Fact]
    public void FortuneRecordsAreJoinedAndAttributionsDropped()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fortunes-{Guid.NewGuid():N}");
        File.WriteAllText(path, "A day for firm decisions!!!!!  Or is it?\n%\nA long-forgotten loved one will appear soon.\n\nBuy the negatives at any price.\n%\n%\nTo err is human.\n\t\t-- Alexander Pope\n%\n");
        try
        {
            Assert.Equal(["A day for firm decisions!!!!!  Or is it?", "A long-forgotten loved one will appear soon. Buy the negatives at any price.", "To err is human."],
                FortuneFile.Quotes(path));
        }
        finally { File.Delete(path); }
        Assert.Throws<FileNotFoundException>(() => FortuneFile.Quotes(path));
    }

    [Fact]
    public void TheAnomalySetHoldsEveryPtbTestSentenceADrawOfShakespeareAndTheFortunes()
    {
        string fortunes = Path.Combine(Path.GetTempPath(), $"fortunes-{Guid.NewGuid():N}");
        File.WriteAllText(fortunes, "Buy the negatives at any price.\n%\n...\n%\n" + string.Join(' ', Enumerable.Repeat("word", 41)) + "\n%\nIt's 1,200 dollars!\n");
        string ptb = Path.Combine(TestPaths.TextCorpora, "ptb.test.txt"), shakespeare = Path.Combine(TestPaths.TextCorpora, "tinyshakespeare.txt");
        try
        {
            var set = TextAnomalySet.Build(ptb, shakespeare, fortunes, settings: new TextAnomalySetSettings { ShakespeareLines = 50 });
            Assert.Equal(3620, set.Count(TextAnomalySource.PennTreebank)); // as TextCorpusTests counts the test split
            Assert.Equal(141, set.SkippedTooLong[TextAnomalySource.PennTreebank]);
            Assert.Equal(50, set.Count(TextAnomalySource.TinyShakespeare));
            Assert.Equal(["buy the negatives at any price", "it 's N dollars"], set.Items.Where(i => i.Source == TextAnomalySource.Fortune).Select(i => i.Text));
            Assert.Equal(1, set.SkippedTooLong[TextAnomalySource.Fortune]);
            Assert.Equal(1, set.SkippedEmpty[TextAnomalySource.Fortune]);
            Assert.All(set.Items, i => Assert.Equal(i.Source == TextAnomalySource.PennTreebank ? 0 : 1, i.Label));
            Assert.All(set.Items, i => Assert.InRange(Vocabulary.Words(i.Text).Length, 1, 40));

            var again = TextAnomalySet.Build(ptb, shakespeare, fortunes, settings: new TextAnomalySetSettings { ShakespeareLines = 50 });
            var other = TextAnomalySet.Build(ptb, shakespeare, fortunes, settings: new TextAnomalySetSettings { ShakespeareLines = 50, Seed = 14 });
            Assert.Equal(set.Items, again.Items);
            Assert.NotEqual(set.Items.Where(i => i.Source == TextAnomalySource.TinyShakespeare), other.Items.Where(i => i.Source == TextAnomalySource.TinyShakespeare));
            Assert.Throws<ArgumentException>(() => TextAnomalySet.Build(ptb, shakespeare, fortunes, settings: new TextAnomalySetSettings { ShakespeareLines = set.UsableShakespeareLines + 1 }));
        }
        finally { File.Delete(fortunes); }
    }
}
