using LatentEbm.Pipelines.Transforms;
using LatentEbm.Tests.Shared;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace LatentEbm.Pipelines.Tests;

/// <summary>The estimators behind ML.NET's image transforms (Microsoft.ML.ImageAnalytics): sizes, scales, ownership, options.</summary>
[Collection(TinyCifarCollection.Name)]
public class ImagePipelineTests(TinyCifarBundles bundles)
{
    private sealed class ImageFile { public string ImagePath { get; set; } = ""; }

    private sealed class ColourRow
    {
        [VectorType(3, 32, 32)] public float[] Features { get; set; } = [];
    }

    private static string Mnist => Path.Combine(TestPaths.RepositoryRoot, "models", "mnist-digit4");

    private IDataView Files(MLContext ml, int perClass) =>
        ml.Data.LoadFromEnumerable(bundles.Files("test", perClass).Select(f => new ImageFile { ImagePath = f }));

    private IEstimator<ITransformer> Load(MLContext ml) => ml.Transforms.LoadImages("Image", bundles.JpegFolder, inputColumnName: "ImagePath");

    private IEstimator<ITransformer> LoadAndResize(MLContext ml, int size) =>
        Load(ml).Append(ml.Transforms.ResizeImages("Image", imageWidth: size, imageHeight: size));

    [Fact]
    public void AnImageOfAnotherSizeIsASchemaErrorNamingTheColumnAndTheBundlesShape()
    {
        var ml = new MLContext(seed: 0);
        var data = Files(ml, 1);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            LoadAndResize(ml, 28).Append(ml.Transforms.ScoreLatentEbmAnomaly(bundles.External, inputColumnName: "Image")).Fit(data));
        Assert.Contains("input column 'Image'", error.Message);
        Assert.Contains("[3, 32, 32]", error.Message);
        Assert.Contains("ResizeImages(imageWidth: 32, imageHeight: 32)", error.Message);
        Assert.Contains("got Image<28, 28>", error.Message);

        // Pixels of ExtractPixels (schema only: see below) of another size, and of the right size for another bundle.
        var extracted = LoadAndResize(ml, 28).Append(ml.Transforms.ExtractPixels("Features", "Image"));
        error = Assert.Throws<ArgumentOutOfRangeException>(() => extracted.Append(ml.Transforms.ScoreLatentEbmAnomaly(bundles.External)).Fit(data));
        Assert.Contains("input column 'Features'", error.Message);
        Assert.Contains("Vector<Single, 3072>", error.Message);
        Assert.Contains("got Vector<Single, 3, 28, 28>", error.Message);
        error = Assert.Throws<ArgumentOutOfRangeException>(() => extracted.Append(ml.Transforms.EncodeLatentEbm(Mnist)).Fit(data));
        Assert.Contains("[1, 28, 28]", error.Message);
        Assert.Contains("got Vector<Single, 3, 28, 28>", error.Message);
    }

    [Fact]
    public void AnImageOfUnknownSizeIsCheckedWhenItsRowIsRead()
    {
        // LoadImages alone types its column as an image of unknown size: the 32x32 files reach a [1, 28, 28] bundle.
        var ml = new MLContext(seed: 0);
        var data = Files(ml, 1);
        using var model = Load(ml).Append(ml.Transforms.ScoreLatentEbmAnomaly(Mnist, inputColumnName: "Image")).Fit(data);
        var error = Assert.Throws<InvalidOperationException>(() => model.Transform(data).GetColumn<float>("Score").ToArray());
        Assert.Contains("column 'Image' holds a 32x32 image at row 0; the bundle takes [1, 28, 28]", error.Message);
        Assert.Contains("ResizeImages(imageWidth: 28, imageHeight: 28)", error.Message);
        // Resized, the grey bundle reads the colour files as their luminance.
        using var resized = LoadAndResize(ml, 28).Append(ml.Transforms.ScoreLatentEbmAnomaly(Mnist, inputColumnName: "Image")).Fit(data);
        Assert.Equal(10, resized.Transform(data).GetColumn<float>("Score").Count(float.IsFinite));
    }

    [Fact]
    public void MlNetsExtractPixelsCannotReadImagesBesideSkiaSharp3()
    {
        // ML.NET 5.0.1's MLImage.Pixels binds SkiaSharp 2.88's SKBitmap.GetPixelSpan(); with the SkiaSharp 3 this
        // solution pins it fails (dotnet/machinelearning#7413). Why the transforms read image columns themselves;
        // when an ML.NET update fixes it, this test fails and README's ML.NET section needs its note changed.
        var ml = new MLContext(seed: 0);
        var data = Files(ml, 1);
        var pixels = LoadAndResize(ml, 32).Append(ml.Transforms.ExtractPixels("Features", "Image")).Fit(data).Transform(data);
        var error = Assert.ThrowsAny<Exception>(() => pixels.GetColumn<float[]>("Features").ToArray());
        Assert.IsType<MissingMethodException>(error.InnerException ?? error);
        Assert.Contains("SKBitmap.GetPixelSpan", (error.InnerException ?? error).Message);
    }

    [Fact]
    public void ColourPixelsOffTheBundlesScaleAreRefusedNamingColumnRowAndRange()
    {
        var ml = new MLContext(seed: 0);
        var bytes = bundles.Decode(bundles.Files("test", 1), 3).Pixels.Select(v => (v + 1) * 127.5f).ToArray(); // 0..255, not [-1, 1]
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 10).Select(i => new ColourRow { Features = bytes[(i * 3072)..((i + 1) * 3072)] }));
        using var model = ml.Transforms.ScoreLatentEbmAnomaly(bundles.External).Fit(data);
        var error = Assert.Throws<InvalidOperationException>(() => model.Transform(data).GetColumn<float>("Score").ToArray());
        Assert.Contains("column 'Features'", error.Message);
        Assert.Contains("at row 0", error.Message);
        Assert.Contains("outside the bundle's pixel range [-1, 1]", error.Message);
    }

    [Fact]
    public void EachFitOwnsItsSessionsAndDisposingOneLeavesTheOthers()
    {
        var ml = new MLContext(seed: 0);
        var images = LoadAndResize(ml, 32).Fit(Files(ml, 1)).Transform(Files(ml, 1));
        var estimator = ml.Transforms.ScoreLatentEbmAnomaly(bundles.External, inputColumnName: "Image");
        var first = estimator.Fit(images);
        using var second = estimator.Fit(images);
        Assert.IsAssignableFrom<IDisposable>(first);
        Assert.NotSame(first.Model, second.Model);
        var unread = first.Transform(images);
        first.Dispose();
        first.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => first.Model);
        Assert.Throws<ObjectDisposedException>(() => first.Transform(images));
        Assert.Throws<ObjectDisposedException>(() => unread.GetColumn<float>("Score").ToArray());
        Assert.Equal(10, second.Transform(images).GetColumn<float>("Score").Count(float.IsFinite));

        // A chain disposes its transformers with it.
        var chain = LoadAndResize(ml, 32).Append(estimator).Fit(Files(ml, 1));
        var scorer = chain.LastTransformer;
        chain.Dispose();
        Assert.Throws<ObjectDisposedException>(() => scorer.Model);
    }

    [Fact]
    public void TheOptionsAreReadNeverWrittenByFitOrTransform()
    {
        var ml = new MLContext(seed: 0);
        var data = Files(ml, 1);
        var options = new LatentEbmTransformOptions
        {
            BundlePath = bundles.External, InputColumnName = "Image", OutputColumnName = "Latent",
            Output = LatentEbmOutput.AnomalyScore, Seed = 9, BatchSize = 3,
        };
        var before = Snapshot(options);
        using (var model = LoadAndResize(ml, 32).Append(ml.Transforms.EncodeLatentEbm(options)).Fit(data))
            Assert.All(model.Transform(data).GetColumn<float[]>("Latent"), z => Assert.Equal(8, z.Length));
        using (var model = LoadAndResize(ml, 32).Append(new LatentEbmEstimator(options)).Fit(data))
            Assert.Equal(10, model.Transform(data).GetColumn<float>("Latent").Count(float.IsFinite));
        Assert.Equal(before, Snapshot(options));
    }

    /// <summary>Every public property of the options, by name.</summary>
    private static Dictionary<string, object?> Snapshot(LatentEbmTransformOptions options) =>
        typeof(LatentEbmTransformOptions).GetProperties().ToDictionary(p => p.Name, p => p.GetValue(options));
}
