using System.Reflection;
using LatentEbm.Data.Datasets;
using LatentEbm.Inference;
using LatentEbm.Pipelines.Transforms;
using LatentEbm.Tests.Shared;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace LatentEbm.Pipelines.Tests;

public class LatentEbmTransformTests
{
    private static string Bundle => Path.Combine(TestPaths.RepositoryRoot, "models", "mnist-digit4");
    private static readonly Lazy<LabeledImages> Test = new(() => ImageDatasets.LoadSplit(TestPaths.Mnist, train: false));

    private sealed class Row
    {
        [VectorType(784)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }

    private sealed class SmallRow
    {
        [VectorType(100)] public float[] Features { get; set; } = [];
    }

    private static IDataView Images(MLContext ml, int count) => ml.Data.LoadFromEnumerable(
        Enumerable.Range(0, count).Select(i => new Row { Features = Test.Value.Image(i).ToArray(), Label = Test.Value.Labels[i] }));

    private static float[] Column(IDataView data, string name) => data.GetColumn<float>(name).ToArray();

    [Fact]
    public void TheScoreColumnIsAddedAndOtherColumnsPassThrough()
    {
        var ml = new MLContext(seed: 1);
        var data = Images(ml, 20);
        var scored = ml.Transforms.ScoreLatentEbmAnomaly(Bundle, outputColumnName: "Score").Fit(data).Transform(data);
        Assert.Equal(NumberDataViewType.Single, scored.Schema["Score"].Type);
        Assert.Equal(Column(data, "Label"), Column(scored, "Label"));
        var scores = Column(scored, "Score");
        Assert.Equal(20, scores.Length);
        Assert.All(scores, s => Assert.True(float.IsFinite(s)));
        // Row i is scored from stream i of the seed (0), exactly what the inference library gives for that row alone.
        using var model = LatentEbmInference.Open(Bundle);
        float alone = model.ScoreBatch([new ImageRequest(Test.Value.Image(7).ToArray(), 1, Seed: 0, FirstStream: 7)])[0][0];
        Assert.Equal(alone, scores[7], 1e-5f * Math.Max(1, Math.Abs(scores[7])));
        Assert.NotEqual(model.Score(Test.Value.Image(7).ToArray(), 1, seed: 7)[0], scores[7]); // not the seed + i of before
    }

    [Fact]
    public void BatchScoringEqualsRowByRowScoring()
    {
        var ml = new MLContext(seed: 1);
        var data = Images(ml, 300);
        var batched = Column(ml.Transforms.ScoreLatentEbmAnomaly(new LatentEbmTransformOptions { BundlePath = Bundle, BatchSize = 256, Seed = 5 }).Fit(data).Transform(data), "Score");
        var single = Column(ml.Transforms.ScoreLatentEbmAnomaly(new LatentEbmTransformOptions { BundlePath = Bundle, BatchSize = 1, Seed = 5 }).Fit(data).Transform(data), "Score");
        for (int i = 0; i < batched.Length; i++)
            Assert.True(Math.Abs(batched[i] - single[i]) <= 1e-5 * Math.Max(1, Math.Abs(single[i])), $"row {i}: {batched[i]} vs {single[i]}");
    }

    [Fact]
    public void LatentFeaturesAreAFixedSizeVector()
    {
        var ml = new MLContext(seed: 1);
        var data = Images(ml, 10);
        var encoded = ml.Transforms.EncodeLatentEbm(Bundle, outputColumnName: "Latent").Fit(data).Transform(data);
        var type = Assert.IsType<VectorDataViewType>(encoded.Schema["Latent"].Type);
        Assert.Equal(16, type.Size);
        var latents = encoded.GetColumn<float[]>("Latent").ToArray();
        Assert.Equal(10, latents.Length);
        Assert.All(latents, z => Assert.Equal(16, z.Length));
        // A downstream estimator consumes it.
        var normalized = ml.Transforms.NormalizeMinMax("Latent").Fit(encoded).Transform(encoded);
        Assert.Equal(10, normalized.GetColumn<float[]>("Latent").Count());
    }

    [Fact]
    public void SchemaErrorsNameTheColumnAtFitAndGetOutputSchema()
    {
        var ml = new MLContext(seed: 1);
        var wrongSize = ml.Data.LoadFromEnumerable([new SmallRow { Features = new float[100] }]);
        var estimator = ml.Transforms.ScoreLatentEbmAnomaly(Bundle);
        var error = Assert.ThrowsAny<ArgumentException>(() => estimator.Fit(wrongSize));
        Assert.Contains("'Features'", error.Message);

        var missing = ml.Transforms.ScoreLatentEbmAnomaly(Bundle, inputColumnName: "Pixels");
        var data = Images(ml, 2);
        error = Assert.ThrowsAny<ArgumentException>(() => missing.Fit(data));
        Assert.Contains("'Pixels'", error.Message);

        // GetOutputSchema(SchemaShape): SchemaShape's factory is internal to ML.NET; tests reach it by reflection.
        var create = typeof(SchemaShape).GetMethod("Create", BindingFlags.NonPublic | BindingFlags.Static, [typeof(DataViewSchema)])!;
        var shape = (SchemaShape)create.Invoke(null, [data.Schema])!;
        var output = estimator.GetOutputSchema(shape);
        Assert.Contains(output, c => c.Name == "Score" && c.Kind == SchemaShape.Column.VectorKind.Scalar);
        error = Assert.ThrowsAny<ArgumentException>(() => missing.GetOutputSchema(shape));
        Assert.Contains("'Pixels'", error.Message);
    }

    [Fact]
    public void SavingIsADocumentedNotSupportedException()
    {
        var ml = new MLContext(seed: 1);
        var data = Images(ml, 2);
        var transformer = ml.Transforms.ScoreLatentEbmAnomaly(Bundle).Fit(data);
        var error = Assert.Throws<NotSupportedException>(() => ml.Model.Save(transformer, data.Schema, Path.Combine(TestPaths.NewTempFolder(), "m.zip")));
        Assert.Contains("ScoreLatentEbmAnomaly", error.Message);
    }

    [Fact]
    public void NonFiniteImagesAreAClearError()
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 3).Select(i => new Row { Features = Test.Value.Image(i).ToArray() }).ToArray();
        rows[2].Features[10] = float.NaN;
        var data = ml.Data.LoadFromEnumerable(rows);
        var scored = ml.Transforms.ScoreLatentEbmAnomaly(Bundle).Fit(data).Transform(data);
        var error = Assert.Throws<InvalidOperationException>(() => Column(scored, "Score"));
        Assert.Contains("row 2", error.Message);
    }

    [Fact]
    public void PixelsOffTheBundlesScaleAreRefusedNamingColumnRowAndRange()
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 3).Select(i => new Row { Features = Test.Value.Image(i).ToArray() }).ToArray();
        rows[1].Features = [.. Enumerable.Repeat(255f, 784)]; // bytes, not the bundle's [-1, 1]: scored 283,554,050 before
        var data = ml.Data.LoadFromEnumerable(rows);
        var estimator = ml.Transforms.ScoreLatentEbmAnomaly(Bundle);
        var error = Assert.Throws<InvalidOperationException>(() => Column(estimator.Fit(data).Transform(data), "Score"));
        Assert.Contains("column 'Features'", error.Message);
        Assert.Contains("row 1", error.Message);
        Assert.Contains("[-1, 1]", error.Message);
        var latents = ml.Transforms.EncodeLatentEbm(Bundle).Fit(data).Transform(data);
        Assert.Throws<InvalidOperationException>(() => latents.GetColumn<float[]>("Latent").ToArray());

        // The range's ends (and rounding a hair past them) are pixels on the bundle's scale.
        rows[1].Features = [.. Enumerable.Range(0, 784).Select(i => i % 2 == 0 ? -1f : 1.0005f)];
        data = ml.Data.LoadFromEnumerable(rows);
        Assert.All(Column(estimator.Fit(data).Transform(data), "Score"), s => Assert.True(float.IsFinite(s)));
    }

    [Fact]
    public void TheCatalogNeverWritesToTheCallersOptions()
    {
        var ml = new MLContext(seed: 1);
        var data = Images(ml, 2);
        var options = new LatentEbmTransformOptions { BundlePath = Bundle, OutputColumnName = "Latent", Output = LatentEbmOutput.Latent };
        var scorer = ml.Transforms.ScoreLatentEbmAnomaly(options).Fit(data);
        Assert.Equal(LatentEbmOutput.Latent, options.Output);
        Assert.Equal(NumberDataViewType.Single, scorer.GetOutputSchema(data.Schema)["Latent"].Type); // the scorer still scores

        // Changing the options afterwards does not change a built transformer.
        options.InputColumnName = "Pixels";
        Assert.Equal(2, Column(scorer.Transform(data), "Latent").Length);
        options.InputColumnName = "Features";
        options.Output = LatentEbmOutput.AnomalyScore;
        var encoder = ml.Transforms.EncodeLatentEbm(options);
        Assert.Equal(LatentEbmOutput.AnomalyScore, options.Output);
        Assert.IsType<VectorDataViewType>(encoder.Fit(data).GetOutputSchema(data.Schema)["Latent"].Type);
    }
}

/// <summary>
/// Both estimators on a bundle with an encoder (the tiny amortised MNIST run of <see cref="TinyAmortisedBundle"/>): each row's
/// chain starts at the encoder's mean, as the inference library's encoder path does, unless the options force noise.
/// </summary>
public class AmortisedTransformTests
{
    private static readonly Lazy<LabeledImages> Test = new(() => ImageDatasets.LoadSplit(TestPaths.Mnist, train: false));

    private sealed class Row
    {
        [VectorType(784)] public float[] Features { get; set; } = [];
    }

    private static IDataView Images(MLContext ml, int count) =>
        ml.Data.LoadFromEnumerable(Enumerable.Range(0, count).Select(i => new Row { Features = Test.Value.Image(i).ToArray() }));

    private static void AssertClose(float[] expected, float[] actual) => FloatAsserts.AssertClose(expected, actual);

    private static bool Differ(float[] a, float[] b) => FloatAsserts.Differ(a, b);

    [Fact]
    public void ScoresAndLatentsStartAtTheEncoderUnlessTheOptionsForceNoise()
    {
        const int n = 12, seed = 4;
        string bundle = TinyAmortisedBundle.Bundle;
        var ml = new MLContext(seed: 1);
        var data = Images(ml, n);
        using var library = LatentEbmInference.Open(bundle);
        Assert.True(library.HasEncoder);
        // Row i draws from stream i of the seed, as the transform does.
        float[] Expected(bool scores, PosteriorStartMode start)
        {
            var chain = new ChainSettings(Start: start);
            var rows = Enumerable.Range(0, n).Select(i => new ImageRequest(Test.Value.Image(i).ToArray(), 1, seed, FirstStream: i)).ToList();
            return [.. (scores ? library.ScoreBatch(rows, chain) : library.InferLatentsBatch(rows, chain)).SelectMany(r => r)];
        }
        foreach (var start in new[] { PosteriorStartMode.Auto, PosteriorStartMode.Encoder, PosteriorStartMode.Noise })
        {
            var options = new LatentEbmTransformOptions { BundlePath = bundle, Seed = seed, BatchSize = 5, PosteriorStart = start };
            using var scorer = ml.Transforms.ScoreLatentEbmAnomaly(options).Fit(data);
            var scores = scorer.Transform(data).GetColumn<float>("Score").ToArray();
            options.OutputColumnName = "Latent";
            using var encoder = ml.Transforms.EncodeLatentEbm(options).Fit(data);
            var latents = encoder.Transform(data).GetColumn<float[]>("Latent").SelectMany(z => z).ToArray();
            var resolved = start == PosteriorStartMode.Noise ? PosteriorStartMode.Noise : PosteriorStartMode.Encoder;
            AssertClose(Expected(true, resolved), scores);
            AssertClose(Expected(false, resolved), latents);
            if (start == PosteriorStartMode.Noise)
            {
                Assert.True(Differ(Expected(true, PosteriorStartMode.Encoder), scores), "forcing noise gave the encoder's scores");
                Assert.True(Differ(Expected(false, PosteriorStartMode.Encoder), latents), "forcing noise gave the encoder's latents");
            }
        }
    }

    [Fact]
    public void TheEncoderStartOnABundleWithoutAnEncoderIsAnErrorAtFitAndTheOptionIsSnapshotted()
    {
        var ml = new MLContext(seed: 1);
        var data = Images(ml, 2);
        string plain = Path.Combine(TestPaths.RepositoryRoot, "models", "mnist-digit4");
        var options = new LatentEbmTransformOptions { BundlePath = plain, PosteriorStart = PosteriorStartMode.Encoder };
        var estimator = ml.Transforms.ScoreLatentEbmAnomaly(options);
        var error = Assert.Throws<ArgumentException>(() => estimator.Fit(data));
        Assert.Contains("PosteriorStart is Encoder", error.Message);
        Assert.Contains("has no encoder", error.Message);
        // Changing the options afterwards does not reach the estimator made from them.
        options.PosteriorStart = PosteriorStartMode.Noise;
        Assert.Throws<ArgumentException>(() => estimator.Fit(data));
        using var fromNoise = ml.Transforms.ScoreLatentEbmAnomaly(options).Fit(data);
        using var auto = ml.Transforms.ScoreLatentEbmAnomaly(plain).Fit(data);
        Assert.Equal(auto.Transform(data).GetColumn<float>("Score").ToArray(), fromNoise.Transform(data).GetColumn<float>("Score").ToArray());
    }
}

/// <summary>The anomaly evaluation job (<c>evaluate anomaly</c>) on a bundle with an encoder records the chain it scored with.</summary>
public class AmortisedEvaluationTests
{
    [Fact]
    public void TheReportAndTheRecordedMetricsNameTheEncoderStartAndItsSteps()
    {
        // A copy: --record rewrites the manifest, and the shared tiny bundle serves other tests.
        string bundle = Path.Combine(TestPaths.NewTempFolder(), "mnist-amortised-tiny");
        Directory.CreateDirectory(bundle);
        foreach (var file in Directory.GetFiles(TinyAmortisedBundle.Bundle)) File.Copy(file, Path.Combine(bundle, Path.GetFileName(file)));
        string dataRoot = Path.GetDirectoryName(TestPaths.Mnist)!;
        var report = LatentEbm.Pipelines.Jobs.AnomalyEvaluationJob.Run(bundle, dataRoot, TestPaths.NewTempFolder(), seed: 2, record: true);
        Assert.Equal("encoder", report.Score["test_chain_start"]);
        Assert.Equal(TinyAmortisedBundle.EncoderSteps, report.Score["test_chain_steps"]);
        using var opened = LatentEbmInference.Open(bundle);
        Assert.Equal("encoder", opened.Manifest.Metrics["test_chain_start"].GetString());
        Assert.Equal(TinyAmortisedBundle.EncoderSteps, opened.Manifest.Metrics["test_chain_steps"].GetInt32());
        Assert.Equal(report.PrAuc, opened.Manifest.Metrics["pr_auc"].GetDouble());
        Assert.InRange(report.PrAuc, report.Prevalence - 0.2, 1); // a one-epoch tiny model: a number, not a quality claim
    }
}
