using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Sampling;
using LatentEbm.Inference.Text;

namespace LatentEbm.Inference.Tests;

/// <summary>The text bundle's tokenizer (TextVocabulary) and the uniform draws of sampled decoding (UniformStream).</summary>
public class TextVocabularyTests
{
    private static readonly string[] Tokens = ["<pad>", "<unk>", "<s>", "</s>", "the", "cat", "sat", "N"];

    [Fact]
    public void WordsMapToTheirLineNumbersAndUnknownWordsToUnk()
    {
        var v = new TextVocabulary(Tokens, 10);
        var s = v.Tokenize("  the cat\tsat on the\u00a0mat ");
        Assert.Equal(["the", "cat", "sat", "on", "the", "mat"], s.Words); // split at any white space, as string.Split and training
        Assert.Equal([4, 5, 6, 1, 4, 1], s.Ids);
        Assert.Equal(2, s.UnknownWords);
        Assert.Equal([TextVocabulary.UnknownId], v.Tokenize("<unk>").Ids); // PTB's literal <unk>
        Assert.Equal([TextVocabulary.UnknownId], v.Tokenize("The").Ids); // case-sensitive, as training
        Assert.Equal(TextVocabulary.UnknownId, v.Id(new string('a', TextVocabulary.MaxWordLength + 1)));
        Assert.Equal(["the", "cat"], v.Words([2, 4, 5, 3, 6, 0]));
    }

    [Fact]
    public void SentencesOverTheLimitEmptyOrWithReservedTokensAreTypedErrors()
    {
        var v = new TextVocabulary(Tokens, 5);
        Assert.Equal(5, v.Tokenize("the the the the the").Ids.Length);
        var e = Assert.Throws<TextInputException>(() => v.Tokenize("the the the the the cat", 3));
        Assert.Equal((TextInputProblem.TooLong, 3, 6, 5), (e.Problem, e.Index, e.Words, e.Limit));
        Assert.Equal("sentence 3 has 6 words; the model reads at most 5", e.Message);
        Assert.Equal(TextInputProblem.Empty, Assert.Throws<TextInputException>(() => v.Tokenize(" \t ")).Problem);
        foreach (var reserved in new[] { "<pad>", "<s>", "</s>" })
            Assert.Equal(TextInputProblem.ReservedToken, Assert.Throws<TextInputException>(() => v.Tokenize($"the {reserved}")).Problem);
    }

    [Fact]
    public void RowsAreStartWordsEndThenPadding()
    {
        var (rows, width) = TextVocabulary.Rows([[4, 5, 6], [7]]);
        Assert.Equal(5, width);
        Assert.Equal([2, 4, 5, 6, 3, 2, 7, 3, 0, 0], rows);
    }

    [Fact]
    public void ABadVocabularyFileIsRefusedByName()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"text-vocabulary-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "vocabulary.txt");
        File.WriteAllText(path, "<unk>\n<pad>\n<s>\n</s>\nthe\n");
        Assert.Equal(path, Assert.Throws<BundleException>(() => TextVocabulary.Load(path, 40)).FilePath);
        File.WriteAllText(path, "<pad>\n<unk>\n<s>\n</s>\nthe\nthe\n");
        Assert.Contains("twice", Assert.Throws<BundleException>(() => TextVocabulary.Load(path, 40)).Message);
        File.WriteAllBytes(path, [.. "<pad>\n<unk>\n<s>\n</s>\n"u8.ToArray(), 0xff, 0xfe, (byte)'\n']);
        Assert.Contains("not a vocabulary", Assert.Throws<BundleException>(() => TextVocabulary.Load(path, 40)).Message);
        File.WriteAllText(path, string.Join('\n', Tokens) + "\n");
        Assert.Equal(Tokens.Length, TextVocabulary.Load(path, 40).Count);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void UniformDrawsLieInTheUnitIntervalAreReproducibleAndDifferAcrossStreamsAndDomains()
    {
        var a = new float[20000];
        new UniformStream(7, 3, NoiseDomain.TextDecoding).Fill(a);
        Assert.All(a, u => Assert.True(u >= 0 && u < 1, $"{u}"));
        double mean = a.Average(u => (double)u), variance = a.Average(u => (u - mean) * (u - mean));
        Assert.InRange(mean, 0.5 - 0.01, 0.5 + 0.01);      // 4.9 standard errors of the mean (sqrt(1/12/20000) = 2.04e-3)
        Assert.InRange(variance, 1.0 / 12 - 0.003, 1.0 / 12 + 0.003);
        var again = new float[20000];
        new UniformStream(7, 3, NoiseDomain.TextDecoding).Fill(again);
        Assert.Equal(a, again);
        var otherStream = new float[8];
        new UniformStream(7, 4, NoiseDomain.TextDecoding).Fill(otherStream);
        Assert.NotEqual(a.Take(8), otherStream);
        var otherDomain = new float[8];
        new UniformStream(7, 3, NoiseDomain.PriorChain).Fill(otherDomain);
        Assert.NotEqual(a.Take(8), otherDomain);
    }
}
