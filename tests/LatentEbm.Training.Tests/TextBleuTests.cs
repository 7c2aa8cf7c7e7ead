using System.Text.Json;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Text.Evaluation;

namespace LatentEbm.Training.Tests;

/// <summary>Corpus BLEU-4 against nltk's corpus_bleu (tests/fixtures/bleu_cases.json, written by make_bleu_cases.py).</summary>
public class TextBleuTests
{
    private static readonly JsonElement[] Cases =
        [.. JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("bleu_cases.json"))).RootElement.GetProperty("cases").EnumerateArray()];

    private static JsonElement Case(string name) => Cases.Single(c => c.GetProperty("name").GetString() == name);

    private static IReadOnlyList<IReadOnlyList<string>> Sequences(JsonElement c, string key) =>
        [.. c.GetProperty(key).EnumerateArray().Select(s => (IReadOnlyList<string>)[.. s.EnumerateArray().Select(t => t.ToString())])];

    private static int[][] Ids(JsonElement c, string key) =>
        [.. c.GetProperty(key).EnumerateArray().Select(s => s.EnumerateArray().Select(t => t.GetInt32()).ToArray())];

    private static void AssertCounts(BleuScore score, JsonElement c)
    {
        Assert.Equal(c.GetProperty("matches").EnumerateArray().Select(m => m.GetInt64()), score.Matches);
        Assert.Equal(c.GetProperty("totals").EnumerateArray().Select(m => m.GetInt64()), score.Totals);
        Assert.Equal(c.GetProperty("hypothesis_length").GetInt64(), score.HypothesisLength);
        Assert.Equal(c.GetProperty("reference_length").GetInt64(), score.ReferenceLength);
        Assert.Equal(c.GetProperty("brevity_penalty").GetDouble(), score.BrevityPenalty, 1e-14);
    }

    [Fact]
    public void CorpusBleuOfWordsAndOfIdsMatchesNltk()
    {
        var words = Case("strings_shorter");
        var score = Bleu.Corpus(Sequences(words, "hypotheses"), Sequences(words, "references"));
        Assert.Equal(words.GetProperty("nltk").GetDouble(), score.Score, 1e-12);
        Assert.True(score.BrevityPenalty < 0.9); // the case exercises the brevity penalty
        AssertCounts(score, words);

        var ids = Case("ids_longer");
        var idScore = Bleu.Corpus(Ids(ids, "hypotheses"), Ids(ids, "references"));
        Assert.Equal(ids.GetProperty("nltk").GetDouble(), idScore.Score, 1e-12);
        Assert.Equal(1.0, idScore.BrevityPenalty);
        AssertCounts(idScore, ids);
        Assert.Equal(4, idScore.MaxOrder);
        Assert.Equal("none", idScore.Smoothing);
    }

    [Fact]
    public void TheNltkComparisonCatchesSwappedHypothesesAndReferences()
    {
        foreach (string name in new[] { "strings_shorter", "ids_longer" })
        {
            var c = Case(name);
            var swapped = Bleu.Corpus(Sequences(c, "references"), Sequences(c, "hypotheses"));
            Assert.True(Math.Abs(swapped.Score - c.GetProperty("nltk").GetDouble()) > 1e-3, $"{name}: {swapped.Score}"); // the check allows 1e-12
        }
    }

    [Fact]
    public void AHypothesisShorterThanItsReferenceWithoutAMatchingFourGramScoresZero()
    {
        var c = Case("zero_fourgram_matches");
        var score = Bleu.Corpus(Sequences(c, "hypotheses"), Sequences(c, "references"));
        Assert.Equal(0.0, score.Score);
        Assert.True(c.GetProperty("nltk").GetDouble() < 1e-70); // nltk's "0" without smoothing
        Assert.Equal(0, score.Matches[3]);
        Assert.True(score.Matches[2] > 0 && score.BrevityPenalty < 1);
        AssertCounts(score, c);
        // BLEU-3 of the same pair is not 0: the zero comes from the 4-grams alone.
        Assert.True(Bleu.Corpus(Sequences(c, "hypotheses"), Sequences(c, "references"), maxOrder: 3).Score > 0.1);
    }

    [Fact]
    public void HypothesesShorterThanNCountTheirTrueNgramsAsThePaperDoes()
    {
        var c = Case("short_hypotheses");
        var score = Bleu.Corpus(Sequences(c, "hypotheses"), Sequences(c, "references"));
        Assert.Equal(c.GetProperty("papineni").GetDouble(), score.Score, 1e-12);
        AssertCounts(score, c);
        // nltk's max(1, count) denominator lowers its value here: the documented difference, not a rounding one.
        Assert.True(score.Score - c.GetProperty("nltk").GetDouble() > 0.01);
    }

    [Fact]
    public void IdenticalTextScoresOneAndBadInputsAreNamed()
    {
        int[][] text = [[4, 5, 6, 7, 8], [9, 4, 5, 6]];
        Assert.Equal(1.0, Bleu.Corpus(text, text).Score, 1e-15);
        Assert.Contains("one reference per hypothesis", Assert.Throws<ArgumentException>(() => Bleu.Corpus(text, text[..1])).Message);
        Assert.Throws<ArgumentException>(() => Bleu.Corpus(Array.Empty<int[]>(), Array.Empty<int[]>()));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bleu.Corpus(text, text, maxOrder: 5));
        Assert.Equal(0.0, Bleu.Corpus([Array.Empty<int>()], [new[] { 4, 5 }]).Score); // an empty corpus hypothesis: BP = 0
    }
}
