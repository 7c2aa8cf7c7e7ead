using System.Text.Json;
using LatentEbm.Pipelines.Evaluation;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Pipelines.Tests;

public class AnomalyRankingMetricsTests
{
    public sealed record Case(string Name, int[] Labels, double[] Scores, double AveragePrecision, double PrAucTrapezoidTieGrouped, double RocAuc, double Prevalence);

    private static readonly Lazy<Dictionary<string, Case>> Cases = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("auprc_cases.json")));
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => c.Deserialize<Case>(options)!).ToDictionary(c => c.Name);
    });

    private static byte[] Bytes(int[] labels) => [.. labels.Select(l => (byte)l)];

    public static TheoryData<string> CaseNames() => [.. Cases.Value.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesScikitLearnOnEveryOracleCase(string name)
    {
        var c = Cases.Value[name];
        var m = AnomalyRankingMetrics.Compute(Bytes(c.Labels), c.Scores);
        Assert.Equal(c.PrAucTrapezoidTieGrouped, m.PrAuc, 1e-9);
        Assert.Equal(c.AveragePrecision, m.AveragePrecision, 1e-9);
        Assert.Equal(c.RocAuc, m.RocAuc, 1e-9);
        Assert.Equal(c.Prevalence, m.Prevalence, 1e-12);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void PermutingRowsDoesNotChangeTheMetrics(string name)
    {
        var c = Cases.Value[name];
        var order = Enumerable.Range(0, c.Labels.Length).OrderBy(i => (i * 7919) % 104729).Reverse().ToArray();
        var a = AnomalyRankingMetrics.Compute(Bytes(c.Labels), c.Scores);
        var b = AnomalyRankingMetrics.Compute([.. order.Select(i => (byte)c.Labels[i])], [.. order.Select(i => c.Scores[i])]);
        Assert.Equal(a.PrAuc, b.PrAuc, 1e-12);
        Assert.Equal(a.AveragePrecision, b.AveragePrecision, 1e-12);
        Assert.Equal(a.RocAuc, b.RocAuc, 1e-12);
    }

    [Fact]
    public void FlippingThePositiveClassMirrorsRocAucAndChangesPrAuc()
    {
        var c = Cases.Value["gaussian_shift_500"];
        var flipped = AnomalyRankingMetrics.Compute([.. c.Labels.Select(l => (byte)(1 - l))], [.. c.Scores.Select(s => -s)]);
        var original = AnomalyRankingMetrics.Compute(Bytes(c.Labels), c.Scores);
        Assert.Equal(original.RocAuc, flipped.RocAuc, 1e-12);
        Assert.Equal(1 - original.Prevalence, flipped.Prevalence, 1e-12);
        Assert.NotEqual(original.PrAuc, flipped.PrAuc, 3);
    }

    [Fact]
    public void OneClassIsAClearError()
    {
        var e = Assert.Throws<InvalidScoresException>(() => AnomalyRankingMetrics.Compute([0, 0, 0], [0.1, 0.2, 0.3]));
        Assert.Contains("all 3 rows are normal", e.Message);
        e = Assert.Throws<InvalidScoresException>(() => AnomalyRankingMetrics.Compute([1, 1], [0.1, 0.2]));
        Assert.Contains("all 2 rows are anomalies", e.Message);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void NonFiniteScoresAreAClearError(double bad)
    {
        var e = Assert.Throws<InvalidScoresException>(() => AnomalyRankingMetrics.Compute([0, 1, 0], [0.1, bad, 0.3]));
        Assert.Contains("score at row 1", e.Message);
        Assert.Throws<InvalidScoresException>(() => MlNetAuprc.Estimate([0, 1, 0], [0.1, bad, 0.3]));
    }

    [Fact]
    public void EmptyOrMismatchedInputIsAClearError()
    {
        Assert.Throws<InvalidScoresException>(() => AnomalyRankingMetrics.Compute([], []));
        Assert.Throws<InvalidScoresException>(() => AnomalyRankingMetrics.Compute([0, 1], [0.5]));
    }

    [Fact]
    public void MlNetEstimateIsCloseToOursWithoutTies()
    {
        // Without ties, ML.NET's row-wise trapezoid and ours differ only in how the curve is
        // anchored near recall 0: close on 2,000 rows. Ties are broken by a tiny row-dependent shift.
        var c = Cases.Value["rare_anomaly_2000"];
        double[] scores = [.. c.Scores.Select((s, i) => s + i * 1e-12)];
        Assert.Equal(scores.Length, scores.Distinct().Count());
        double ours = AnomalyRankingMetrics.Compute(Bytes(c.Labels), scores).PrAuc;
        double mlnet = MlNetAuprc.Estimate(Bytes(c.Labels), scores);
        Assert.InRange(mlnet, ours - 0.02, ours + 0.02);
    }
}
