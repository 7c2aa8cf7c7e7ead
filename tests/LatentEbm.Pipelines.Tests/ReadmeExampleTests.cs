using LatentEbm.Data.Datasets;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Pipelines.Tests;

public class ReadmeExampleTests
{
    /// <summary>The code between the README markers of <paramref name="file"/>, unindented one level, as README.md shows it.</summary>
    internal static string ExampleSource(string file = "ReadmeExample.cs")
    {
        string source = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "tests", "LatentEbm.Pipelines.Tests", file));
        int begin = source.IndexOf("// begin README example", StringComparison.Ordinal), end = source.IndexOf("    // end README example", StringComparison.Ordinal);
        var lines = source[begin..end].Split('\n').Skip(1).Select(l => l.StartsWith("    ", StringComparison.Ordinal) ? l[4..] : l);
        return string.Join('\n', lines).Trim();
    }

    [Fact]
    public void TheReadmeShowsExactlyTheExampleThatTheTestsRun()
    {
        string readme = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "README.md")).Replace("\r\n", "\n");
        Assert.Contains(ExampleSource(), readme);
    }

    [Fact]
    public void TheReadmeExampleScoresRealDigits()
    {
        var test = ImageDatasets.LoadSplit(TestPaths.Mnist, train: false);
        var images = Enumerable.Range(0, 300).Select(i => new ReadmeExample.DigitImage { Features = test.Image(i).ToArray(), IsAnomaly = test.Labels[i] == 4 });
        var metrics = ReadmeExample.ScoreDigits(Path.Combine(TestPaths.RepositoryRoot, "models", "mnist-digit4"), images);
        Assert.Equal(300, metrics.Count);
        Assert.True(metrics.PrAuc > 2 * metrics.Prevalence, $"pr_auc {metrics.PrAuc:F3} against prevalence {metrics.Prevalence:F3}");
    }
}
