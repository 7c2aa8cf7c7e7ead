using System.Text;
using LatentEbm.Data.Sources;
using LatentEbm.Data.Text;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Data.Tests;

/// <summary>
/// The word-level vocabulary and the corpus reader on the real Penn Treebank files. Expected counts come from an
/// independent Python reading of the same files (str.split per line, collections.Counter over the training head,
/// lines of 1 to 40 words kept).
/// </summary>
public class TextCorpusTests
{
    private static string Ptb(string split) => Path.Combine(TestPaths.TextCorpora, $"ptb.{split}.txt");

    private static readonly Lazy<Vocabulary> TrainingVocabulary = new(() => Vocabulary.Build(TextCorpus.Lines(Ptb("train.head"))));

    [Fact]
    public void TheVocabularyOfTheTrainingHeadIsItsWordsByCountAfterTheSpecials()
    {
        var v = TrainingVocabulary.Value;
        Assert.Equal(4 + 7949, v.Count); // 7,950 types in the head, <unk> among them, is a special
        Assert.Equal(["<pad>", "<unk>", "<s>", "</s>", "the", "N", "of", "to"], v.Tokens.Take(8));
        Assert.Equal(["yellow", "zero"], v.Tokens.TakeLast(2)); // count 1, ordinal order
    }

    [Theory]
    [InlineData("train.head", 6482, 130382, 6766, 296)]
    [InlineData("valid", 3251, 64890, 4733, 119)]
    [InlineData("test", 3620, 72181, 5667, 141)]
    public void EachSplitKeepsSentencesOfAtMost40WordsAndCountsTheRest(string split, int kept, long words, long unknown, int tooLong)
    {
        var corpus = TextCorpus.Read(Ptb(split), TrainingVocabulary.Value);
        Assert.Equal(kept, corpus.Sentences.Count);
        Assert.Equal(words, corpus.Words);
        Assert.Equal(unknown, corpus.UnknownWords);
        Assert.Equal(tooLong, corpus.SkippedTooLong);
        Assert.Equal(0, corpus.SkippedEmpty);
        Assert.All(corpus.Sentences, s => Assert.InRange(s.Length, 1, 40));
    }

    [Fact]
    public void AWordOutsideTheVocabularyIsOneUnknownNeverPiecesOfKnownWords()
    {
        var v = Vocabulary.Build(["the cat sat", "the cat"]);
        Assert.Equal(["<pad>", "<unk>", "<s>", "</s>", "cat", "the", "sat"], v.Tokens); // equal counts in ordinal order
        Assert.Equal([5, 4, Vocabulary.UnknownId, 6, Vocabulary.UnknownId], v.Encode("the cat cats sat catsat"));
        Assert.Equal([Vocabulary.UnknownId], v.Encode("<unk>"));
        Assert.Equal("the cat sat", v.Decode([Vocabulary.StartId, 5, 4, 6, Vocabulary.EndId, 4, Vocabulary.PadId]));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Decode([7]));
    }

    [Fact]
    public void BuildKeepsTheMostFrequentWords()
    {
        var v = Vocabulary.Build(["a b b c c c", "c d"], maxWords: 2);
        Assert.Equal(["<pad>", "<unk>", "<s>", "</s>", "c", "b"], v.Tokens);
        Assert.Equal([Vocabulary.UnknownId, 5, 4, Vocabulary.UnknownId], v.Encode("a b c d"));
    }

    [Fact]
    public void TheLengthLimitCountsLongAndEmptyLinesAndNeverCutsOne()
    {
        string path = Path.Combine(TestPaths.NewTempFolder(), "lines.txt");
        string forty = string.Join(' ', Enumerable.Repeat("w", 40)), fortyOne = forty + " w";
        File.WriteAllText(path, $"{forty}\n\n{fortyOne}\r\n   \nw w\n");
        var corpus = TextCorpus.Read(path, Vocabulary.Build(["w"]));
        Assert.Equal([40, 2], corpus.Sentences.Select(s => s.Length));
        Assert.Equal(1, corpus.SkippedTooLong);
        Assert.Equal(2, corpus.SkippedEmpty);
        Assert.Equal(0, corpus.UnknownWords);
    }

    [Fact]
    public void ASavedVocabularyLoadsBackTheSame()
    {
        string path = Path.Combine(TestPaths.NewTempFolder(), "vocabulary.txt");
        TrainingVocabulary.Value.Save(path);
        var loaded = Vocabulary.Load(path);
        Assert.Equal(TrainingVocabulary.Value.Tokens, loaded.Tokens);
        Assert.Equal(TrainingVocabulary.Value.Encode("the yellow zebra"), loaded.Encode("the yellow zebra"));
    }

    [Fact]
    public void DamagedFilesAreTypedErrorsNamingTheProblem()
    {
        string folder = TestPaths.NewTempFolder();
        string text = Path.Combine(folder, "bad.txt");
        File.WriteAllBytes(text, [.. Encoding.UTF8.GetBytes("good line\nanother\n"), 0x66, 0xC3, 0x28, (byte)'\n']);
        var e = Assert.Throws<DataFormatException>(() => TextCorpus.Read(text, Vocabulary.Build(["good"])));
        Assert.Equal("line 3 is not UTF-8 text", e.Problem);
        File.WriteAllBytes(text, [.. Encoding.UTF8.GetBytes("a\n"), 0, (byte)'\n']);
        Assert.Equal("line 2 holds a NUL character: not a text file", Assert.Throws<DataFormatException>(() => TextCorpus.Lines(text).ToList()).Problem);
        Assert.Throws<FileNotFoundException>(() => TextCorpus.Read(Path.Combine(folder, "missing.txt"), Vocabulary.Build(["a"])));

        string vocabulary = Path.Combine(folder, "vocabulary.txt");
        File.WriteAllText(vocabulary, "the\n<pad>\n<unk>\n<s>\n</s>\n");
        Assert.Contains("starts with the lines <pad> <unk> <s> </s>", Assert.Throws<DataFormatException>(() => Vocabulary.Load(vocabulary)).Problem);
        File.WriteAllText(vocabulary, "<pad>\n<unk>\n<s>\n</s>\nthe\nof\nthe\n");
        Assert.Equal("line 7: token 'the' appears twice", Assert.Throws<DataFormatException>(() => Vocabulary.Load(vocabulary)).Problem);
        File.WriteAllText(vocabulary, "<pad>\n<unk>\n<s>\n</s>\nthe\n##s\n");
        Assert.Contains("line 6", Assert.Throws<DataFormatException>(() => Vocabulary.Load(vocabulary)).Problem);
    }
}
