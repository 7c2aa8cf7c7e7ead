using LatentEbm.Data.Datasets;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Data.Tests;

public class MnistTests
{
    private static readonly Lazy<LabeledImages> All = new(() => ImageDatasets.LoadAll(TestPaths.Mnist));

    [Fact]
    public void LoadsAll70000ImagesScaledToMinusOneOne()
    {
        var all = All.Value;
        Assert.Equal(70_000, all.Count);
        Assert.Equal((28, 28), (all.Height, all.Width));
        Assert.Equal(-1f, all.Pixels.Min());
        Assert.Equal(1f, all.Pixels.Max());
        // Known MNIST class counts: train 5923 zeros, test 980 zeros; 6742 + 1135 ones.
        Assert.Equal(5923 + 980, all.Labels.Count(l => l == 0));
        Assert.Equal(6742 + 1135, all.Labels.Count(l => l == 1));
    }

    [Fact]
    public void DigitOneSplitMatchesThePaperProtocolCounts()
    {
        // PAPER.md: digit 1 held out gives 12,425 normal + 7,877 anomalies in test, prevalence 0.388.
        var split = AnomalySplit.Create(All.Value, holdoutClass: 1, splitSeed: 42);
        Assert.Equal(12_425, split.TestAnomalyLabels.Count(l => l == 0));
        Assert.Equal(7_877, split.TestAnomalyLabels.Count(l => l == 1));
        Assert.Equal(0.388, split.Prevalence, 3);
        Assert.Equal(70_000 - 7_877 - 12_425, split.TrainIndices.Count);
        Assert.DoesNotContain(split.TrainIndices, i => All.Value.Labels[i] == 1);
        Assert.Empty(split.TrainIndices.Intersect(split.TestIndices));
    }

    [Fact]
    public void TheSplitIsFixedByItsSeedAndChangesWithIt()
    {
        var a = AnomalySplit.Create(All.Value, 4, splitSeed: 7);
        var b = AnomalySplit.Create(All.Value, 4, splitSeed: 7);
        var c = AnomalySplit.Create(All.Value, 4, splitSeed: 8);
        Assert.Equal(a.TrainIndices, b.TrainIndices);
        Assert.NotEqual(a.TrainIndices, c.TrainIndices);
        Assert.Equal(a.TrainIndices.Count, c.TrainIndices.Count);
    }
}
