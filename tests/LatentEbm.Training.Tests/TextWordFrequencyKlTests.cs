using System.Text.Json;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Text.Evaluation;

namespace LatentEbm.Training.Tests;

/// <summary>The word-frequency KL against numpy float64 (tests/fixtures/word_kl_cases.json, written by make_word_kl_cases.py).</summary>
public class TextWordFrequencyKlTests
{
    private static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("word_kl_cases.json"))).RootElement;
    private static readonly int V = Root.GetProperty("vocabulary_size").GetInt32();

    private static int[][] Text(JsonElement e) => [.. e.EnumerateArray().Select(s => s.EnumerateArray().Select(t => t.GetInt32()).ToArray())];

    private static int[][] Training => Text(Root.GetProperty("training"));

    private static int[][] Generated(string name) => Text(Root.GetProperty("texts").GetProperty(name));

    [Fact]
    public void KlMatchesNumpyFloat64ForEachPseudoCount()
    {
        foreach (var c in Root.GetProperty("cases").EnumerateArray())
        {
            double eps = c.GetProperty("pseudo_count").GetDouble();
            var result = WordFrequencyKl.Compute(Training, Generated(c.GetProperty("generated").GetString()!), V, eps);
            double expected = c.GetProperty("kl").GetDouble();
            Assert.True(Math.Abs(result.Kl - expected) < 1e-13 * Math.Max(1, expected), $"eps {eps}: {result.Kl} against {expected}");
            Assert.Equal(c.GetProperty("missing").GetInt32(), result.TrainingWordsMissingFromGenerated);
            Assert.Equal(c.GetProperty("training_tokens").GetInt64(), result.TrainingTokens);
            Assert.Equal(c.GetProperty("generated_tokens").GetInt64(), result.GeneratedTokens);
            Assert.Equal(eps, result.PseudoCount);
            Assert.Equal(V - 4, result.Words);
        }
    }

    [Fact]
    public void TheNumpyComparisonCatchesSwappedTexts()
    {
        var c = Root.GetProperty("cases")[0];
        var swapped = WordFrequencyKl.Compute(Generated(c.GetProperty("generated").GetString()!), Training, V, c.GetProperty("pseudo_count").GetDouble());
        Assert.True(Math.Abs(swapped.Kl - c.GetProperty("kl").GetDouble()) > 0.01, $"{swapped.Kl}");
    }

    [Fact]
    public void SpecialsAreNotCountedAndMissingWordsWithoutSmoothingAreInfinite()
    {
        var generated = Generated("generated_lacks_words");
        double plain = WordFrequencyKl.Compute(Training, generated, V).Kl;
        int[][] withSpecials = [.. generated.Select(s => s.Concat([0, 1, 2, 3, 1]).ToArray())];
        Assert.Equal(plain, WordFrequencyKl.Compute(Training, withSpecials, V).Kl);
        Assert.Equal(double.PositiveInfinity, WordFrequencyKl.Compute(Training, generated, V, pseudoCount: 0).Kl);
        Assert.Equal(0.0, WordFrequencyKl.Compute(Training, Training, V, pseudoCount: 0).Kl, 1e-15);
    }

    [Fact]
    public void BadInputsAreNamed()
    {
        Assert.Contains("id 60", Assert.Throws<ArgumentException>(() => WordFrequencyKl.Compute(Training, [[4, 60]], V)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => WordFrequencyKl.Compute(Training, Training, V, pseudoCount: -1));
        Assert.Contains("no word", Assert.Throws<ArgumentException>(() => WordFrequencyKl.Compute([[0, 1, 2, 3]], Training, V)).Message);
    }
}
