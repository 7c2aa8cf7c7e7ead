using System.Text.Json;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>
/// The kernel inception distance against an independent float64 reference (tests/fixtures/kid_cases.json,
/// written by make_kid_cases.py with plain Python loops), and the checks failing on wrong estimators and inputs.
/// </summary>
public class KernelDistanceTests
{
    private const double Tolerance = 1e-10;

    private static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("kid_cases.json"))).RootElement;

    public KernelDistanceTests() => TorchTestSetup.Init();

    private static Tensor Rows(JsonElement e)
    {
        var rows = e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        return tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length], float64);
    }

    /// <summary>The estimator with the diagonal included (the biased V-statistic): a deliberately wrong KID.</summary>
    private static double BiasedMmd2(Tensor x, Tensor y) =>
        KernelInceptionDistance.Kernel(x, x).mean().item<double>() + KernelInceptionDistance.Kernel(y, y).mean().item<double>()
        - 2 * KernelInceptionDistance.Kernel(x, y).mean().item<double>();

    [Fact]
    public void UnbiasedMmd2MatchesTheFloat64ReferenceAndTheCheckCatchesWrongOnes()
    {
        foreach (var c in Root.GetProperty("mmd2").EnumerateArray())
        {
            string name = c.GetProperty("name").GetString()!;
            using var x = Rows(c.GetProperty("x"));
            using var y = Rows(c.GetProperty("y"));
            double expected = c.GetProperty("mmd2").GetDouble();
            double actual = KernelInceptionDistance.UnbiasedMmd2(x, y);
            Assert.True(Math.Abs(actual - expected) <= Tolerance, $"{name}: {actual:R} against {expected:R}");
            // Float32 features give the same value up to their rounding, not beyond: the computation runs in float64.
            Assert.Equal(KernelInceptionDistance.UnbiasedMmd2(x.to(float32).to(float64), y.to(float32).to(float64)), KernelInceptionDistance.UnbiasedMmd2(x.to(float32), y.to(float32)), 15);

            // The same check fails on a wrong estimator (the diagonal included) ...
            double biased = BiasedMmd2(x, y);
            Assert.False(Math.Abs(biased - expected) <= Tolerance, $"{name}: the biased estimator {biased:R} passed the check");
            // ... and on an input with one value 1e-6 off.
            using var nudged = x.clone();
            nudged[0, 0] = nudged[0, 0] + 1e-6;
            Assert.False(Math.Abs(KernelInceptionDistance.UnbiasedMmd2(nudged, y) - expected) <= Tolerance, $"{name}: a nudged input passed the check");
        }
    }

    [Fact]
    public void KidOverGivenSubsetsMatchesTheReferenceMeanAndPopulationStd()
    {
        var kid = Root.GetProperty("kid");
        using var a = Rows(kid.GetProperty("a"));
        using var b = Rows(kid.GetProperty("b"));
        var subsets = kid.GetProperty("subsets").EnumerateArray()
            .Select(s => (s.GetProperty("a").EnumerateArray().Select(v => v.GetInt32()).ToArray(), s.GetProperty("b").EnumerateArray().Select(v => v.GetInt32()).ToArray()))
            .ToList();
        var result = KernelInceptionDistance.Compute(a, b, subsets);
        Assert.True(Math.Abs(result.Mean - kid.GetProperty("mean").GetDouble()) <= Tolerance, $"mean {result.Mean:R}");
        Assert.True(Math.Abs(result.Std - kid.GetProperty("std").GetDouble()) <= Tolerance, $"std {result.Std:R}");
        Assert.Equal((4, 10), (result.Subsets, result.SubsetSize));
        // The sample standard deviation (divisor subsets - 1) is not what the reference reports.
        double[] values = [.. kid.GetProperty("values").EnumerateArray().Select(v => v.GetDouble())];
        double sampleStd = Math.Sqrt(values.Sum(v => (v - result.Mean) * (v - result.Mean)) / (values.Length - 1));
        Assert.False(Math.Abs(sampleStd - result.Std) <= Tolerance);
    }

    [Fact]
    public void RandomSubsetsAreSeededShrinkToTheSmallerSetAndSeparateDistributions()
    {
        manual_seed(5);
        using var a = randn(300, 12, dtype: float64);
        using var same = randn(200, 12, dtype: float64);
        using var shifted = randn(200, 12, dtype: float64) + 0.5;
        var near = KernelInceptionDistance.Compute(a, same, subsets: 5, subsetSize: 1000, seed: 3);
        Assert.Equal(200, near.SubsetSize); // min(1000, 300, 200)
        Assert.Equal(near, KernelInceptionDistance.Compute(a, same, subsets: 5, subsetSize: 1000, seed: 3));
        var far = KernelInceptionDistance.Compute(a, shifted, subsets: 5, subsetSize: 1000, seed: 3);
        Assert.True(far.Mean > 10 * Math.Abs(near.Mean) && far.Mean > far.Std, $"far {far}, near {near}");
        // With every row in every subset, each subset is the whole of both sets: no spread.
        using var small = a[..50];
        var whole = KernelInceptionDistance.Compute(small, same[..50], subsets: 3, subsetSize: 50);
        Assert.Equal(KernelInceptionDistance.UnbiasedMmd2(small, same[..50]), whole.Mean, 12);
        Assert.InRange(whole.Std, 0, 1e-12);

        Assert.Throws<ArgumentException>(() => KernelInceptionDistance.Compute(a, randn(10, 5, dtype: float64)));
        Assert.Throws<ArgumentException>(() => KernelInceptionDistance.UnbiasedMmd2(a[..1], same));
        using var withNan = a.clone();
        withNan[0, 0] = double.NaN;
        Assert.Throws<ArgumentException>(() => KernelInceptionDistance.Compute(withNan, same));
    }
}
