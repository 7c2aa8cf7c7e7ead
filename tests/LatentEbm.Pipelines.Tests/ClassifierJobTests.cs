using System.Text.Json;
using LatentEbm.Pipelines.Jobs;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Pipelines.Tests;

public class ClassifierJobTests
{
    [Fact]
    public void MacroF1AveragesPerClassF1()
    {
        // Class 0: TP 3, FN 1, FP 0 -> 6/7; class 1: TP 2, FN 0, FP 1 -> 4/5.
        double[][] confusion = [[3, 1], [0, 2]];
        Assert.Equal((6.0 / 7 + 4.0 / 5) / 2, ClassifierEvaluationJob.MacroF1(confusion), 12);
    }

    [Fact]
    public void OnASmallRealMnistSubsetEveryFeatureSetBeatsChanceByFar()
    {
        string bundle = Path.Combine(TestPaths.RepositoryRoot, "models", "mnist-digit4");
        string output = TestPaths.NewTempFolder();
        var results = ClassifierEvaluationJob.Run(bundle, Path.GetDirectoryName(TestPaths.Mnist)!, output, trainCount: 500, testCount: 200);
        Assert.Equal(["latents", "pixels", "pca"], results.Select(r => r.Features));
        Assert.All(results, r => Assert.True(r.Accuracy > 0.5, $"{r.Features}: accuracy {r.Accuracy:F3} (chance 0.1)"));
        Assert.All(results, r => Assert.Equal(200, r.Confusion.Sum(row => row.Sum())));
        Assert.Equal(16, results[0].Dimensions);
        foreach (var name in new[] { "confusion_latents.png", "confusion_pixels.png", "confusion_pca.png", "classifier.json" })
            Assert.True(File.Exists(Path.Combine(output, name)), name);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "classifier.json")));
        Assert.Equal(500, json.RootElement.GetProperty("train_images").GetInt32());
    }
}
