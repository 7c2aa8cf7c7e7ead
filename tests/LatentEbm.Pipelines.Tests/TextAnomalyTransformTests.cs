using System.Reflection;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Runtime;
using LatentEbm.Inference.Text;
using LatentEbm.Pipelines.Transforms;
using LatentEbm.Tests.Shared;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace LatentEbm.Pipelines.Tests;

/// <summary>
/// <c>ScoreLatentEbmTextAnomaly</c> on the tiny text bundle (<see cref="TinyTextBundle"/>): its scores equal
/// <see cref="TextLatentEbmInference.Score"/> on the same rows (row i on stream i) whatever the batch size, the other columns
/// pass through, and a column that is not text, an image bundle or an unreadable row is a clear error.
/// </summary>
public class TextAnomalyTransformTests
{
    private sealed class Row
    {
        public string Sentence { get; set; } = "";
        public float Id { get; set; }
    }

    private static readonly string[] Sentences =
    [
        "alpha bravo charlie", "golf zulu echo", "delta", "foxtrot alpha golf bravo echo charlie delta alpha bravo",
        "bravo bravo", "echo kilo lima", "charlie delta echo foxtrot", "alpha",
    ];

    private static IDataView Data(MLContext ml, IEnumerable<string> sentences) =>
        ml.Data.LoadFromEnumerable(sentences.Select((s, i) => new Row { Sentence = s, Id = i }));

    private static float[] Score(MLContext ml, IDataView data, TextAnomalyTransformOptions options)
    {
        using var transformer = ml.Transforms.ScoreLatentEbmTextAnomaly(options).Fit(data);
        return [.. transformer.Transform(data).GetColumn<float>(options.OutputColumnName)];
    }

    [Fact]
    public void ScoresEqualTheLibrarysOnTheSameRowsWhateverTheBatchSize()
    {
        var ml = new MLContext(1);
        var data = Data(ml, Sentences);
        using var library = TextLatentEbmInference.Open(TinyTextBundle.Bundle, new ExecutionOptions(ExecutionProvider.Cpu));
        float[] expected = library.Score(Sentences, seed: 5);
        foreach (int batch in new[] { 1, 3, 256 })
            Assert.Equal(expected, Score(ml, data, new() { BundlePath = TinyTextBundle.Bundle, InputColumnName = "Sentence", Seed = 5, BatchSize = batch }));
        // The catalog's short form, and another seed is another draw.
        using (var t = ml.Transforms.ScoreLatentEbmTextAnomaly(TinyTextBundle.Bundle, "Sentence", "Anomaly", seed: 5).Fit(data))
        {
            var scored = t.Transform(data);
            Assert.Equal(expected, scored.GetColumn<float>("Anomaly").ToArray());
            Assert.Equal(Enumerable.Range(0, Sentences.Length).Select(i => (float)i), scored.GetColumn<float>("Id"));
            Assert.Equal(Sentences, scored.GetColumn<string>("Sentence"));
        }
        Assert.True(FloatAsserts.Differ(expected, Score(ml, data, new() { BundlePath = TinyTextBundle.Bundle, InputColumnName = "Sentence", Seed = 6 })));
    }

    /// <summary>SchemaShape's factory is internal to ML.NET; reached by reflection as in LatentEbmTransformTests.</summary>
    private static SchemaShape Shape(DataViewSchema schema) =>
        (SchemaShape)typeof(SchemaShape).GetMethod("Create", BindingFlags.NonPublic | BindingFlags.Static, [typeof(DataViewSchema)])!.Invoke(null, [schema])!;

    [Fact]
    public void ANonTextColumnIsASchemaErrorNamingTheColumn()
    {
        var ml = new MLContext(1);
        var data = Data(ml, Sentences);
        var estimator = ml.Transforms.ScoreLatentEbmTextAnomaly(TinyTextBundle.Bundle, inputColumnName: "Id");
        var error = Assert.ThrowsAny<ArgumentException>(() => estimator.Fit(data));
        Assert.Contains("'Id'", error.Message);
        Assert.Contains("String (a text column", error.Message);
        error = Assert.ThrowsAny<ArgumentException>(() => estimator.GetOutputSchema(Shape(data.Schema)));
        Assert.Contains("'Id'", error.Message);
        error = Assert.ThrowsAny<ArgumentException>(() => ml.Transforms.ScoreLatentEbmTextAnomaly(TinyTextBundle.Bundle, inputColumnName: "Missing").Fit(data));
        Assert.Contains("'Missing'", error.Message);
        Assert.Contains("no such column", error.Message);
        // The text column itself passes both checks.
        var output = ml.Transforms.ScoreLatentEbmTextAnomaly(TinyTextBundle.Bundle, inputColumnName: "Sentence").GetOutputSchema(Shape(data.Schema));
        Assert.Contains(output, c => c.Name == "Score" && c.Kind == SchemaShape.Column.VectorKind.Scalar && c.ItemType == NumberDataViewType.Single);
    }

    [Fact]
    public void AnImageBundleAndAnUnreadableRowAreClearErrors()
    {
        var ml = new MLContext(1);
        var data = Data(ml, Sentences);
        var image = Assert.Throws<BundleException>(() => ml.Transforms.ScoreLatentEbmTextAnomaly(Path.Combine(TestPaths.RepositoryRoot, "models", "mnist-digit4"), "Sentence").Fit(data));
        Assert.Contains("not a text bundle", image.Message);

        string tooLong = string.Join(' ', Enumerable.Repeat("alpha", TinyTextBundle.MaxWords + 1));
        var bad = Data(ml, [.. Sentences, tooLong]);
        using var transformer = ml.Transforms.ScoreLatentEbmTextAnomaly(TinyTextBundle.Bundle, "Sentence").Fit(bad);
        var error = Assert.Throws<InvalidOperationException>(() => transformer.Transform(bad).GetColumn<float>("Score").ToArray());
        Assert.Contains($"column 'Sentence' row {Sentences.Length}", error.Message);
        Assert.Contains($"at most {TinyTextBundle.MaxWords}", error.Message);
    }

    [Fact]
    public void TheCatalogNeverWritesToTheCallersOptionsAndTheTransformerIsDisposable()
    {
        var ml = new MLContext(1);
        var data = Data(ml, Sentences);
        var options = new TextAnomalyTransformOptions { BundlePath = TinyTextBundle.Bundle, InputColumnName = "Sentence", Seed = 5 };
        var estimator = ml.Transforms.ScoreLatentEbmTextAnomaly(options);
        options.Seed = 6;
        options.InputColumnName = "Id";
        var transformer = estimator.Fit(data);
        using (var library = TextLatentEbmInference.Open(TinyTextBundle.Bundle))
            Assert.Equal(library.Score(Sentences, 5), transformer.Transform(data).GetColumn<float>("Score").ToArray());
        Assert.Equal(6, options.Seed);
        transformer.Dispose();
        transformer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => transformer.Transform(data));
        Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.ScoreLatentEbmTextAnomaly(new TextAnomalyTransformOptions { BundlePath = TinyTextBundle.Bundle, BatchSize = 0 }));
    }
}
