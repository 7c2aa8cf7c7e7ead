using LatentEbm.Inference;
using LatentEbm.Pipelines.Transforms;
using LatentEbm.Tests.Shared;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Xunit.Abstractions;

namespace LatentEbm.Pipelines.Tests;

/// <summary>The README's colour example on real CIFAR-10 JPEGs, against the inference library fed independently decoded pixels.</summary>
[Collection(TinyCifarCollection.Name)]
public class CifarReadmeExampleTests(TinyCifarBundles bundles, ITestOutputHelper output)
{
    /// <summary>
    /// Largest score difference allowed between the ML.NET pipeline and the inference library on the same files,
    /// relative to max(1, |score|). ML.NET's LoadImages decodes with SKBitmap.Decode and the project's decoder with
    /// SKCodec, both in the process's one libSkiaSharp (3.119.4), and ResizeImages to the files' own 32 x 32 redraws
    /// them unchanged: the pixels are asserted equal below (measured: all 30,720 values bit for bit; ML.NET's own
    /// ExtractPixels, run where it works, beside SkiaSharp 2.88, read the same files to within 6e-8, one float32
    /// rounding of (k - 127.5) / 127.5 against k / 127.5 - 1). Equal pixels leave only the batch layout of ONNX
    /// Runtime's kernels, bounded by 1e-5 as in <see cref="LatentEbmTransformTests"/> (measured: 0); a swapped
    /// channel order moves the scores thousands of times more.
    /// </summary>
    private const float ScoreTolerance = 1e-5f;

    private sealed class PixelImage
    {
        [ImageType(32, 32)] public MLImage Image { get; set; } = null!;
    }

    [Fact]
    public void TheReadmeShowsExactlyTheColourExampleThatTheTestsRun()
    {
        string readme = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "README.md")).Replace("\r\n", "\n");
        Assert.Contains(ReadmeExampleTests.ExampleSource("CifarReadmeExample.cs"), readme);
    }

    [Fact]
    public void TheColourExampleScoresRealCifarJpegsAsTheInferenceLibraryDoes()
    {
        var files = bundles.Files("test", 1); // one per class
        float[] scores = CifarReadmeExample.ScoreImages(bundles.External, bundles.JpegFolder, files.Select(f => new CifarReadmeExample.ImageFile { ImagePath = f }));

        var reference = bundles.Decode(files, 3);
        float[] expected = Reference(reference.Pixels, files.Count);
        float[] loaded = LoadedByMlNet(files);
        int differing = loaded.Zip(reference.Pixels).Count(t => t.First != t.Second);
        float pixelDifference = loaded.Zip(reference.Pixels).Max(t => Math.Abs(t.First - t.Second));
        float scoreDifference = RelativeDifference(scores, expected);
        output.WriteLine($"ML.NET LoadImages + ResizeImages(32, 32) against ImageDecoder (SkiaSharp) on {files.Count} CIFAR-10 JPEGs: " +
                         $"{differing} of {loaded.Length} values differ, by up to {pixelDifference:E2} ({pixelDifference * 127.5f:F1} grey levels); " +
                         $"scores differ by up to {scoreDifference:E2} (relative)");
        Assert.True(differing == 0, $"{differing} pixel values differ, by up to {pixelDifference:E2}");
        Assert.True(scoreDifference <= ScoreTolerance, $"scores differ by {scoreDifference:E2}: [{string.Join(", ", scores)}] against [{string.Join(", ", expected)}]");
    }

    [Fact]
    public void ImagesAreReadInTheBundlesChannelOrderAndASwappedOrderScoresOtherwise()
    {
        var files = bundles.Files("test", 1);
        var reference = bundles.Decode(files, 3);
        float[] expected = Reference(reference.Pixels, files.Count);
        byte[][] rgba = [.. Enumerable.Range(0, files.Count).Select(i => Rgba(reference.Image(i)))];
        byte[][] bgra = [.. rgba.Select(SwapRedAndBlue)];

        float[] asRgba = Score([.. rgba.Select(p => MLImage.CreateFromPixels(32, 32, MLPixelFormat.Rgba32, p))]);
        float[] asBgra = Score([.. bgra.Select(p => MLImage.CreateFromPixels(32, 32, MLPixelFormat.Bgra32, p))]);
        float[] swapped = Score([.. rgba.Select(p => MLImage.CreateFromPixels(32, 32, MLPixelFormat.Bgra32, p))]); // R and B exchanged
        output.WriteLine($"RGBA {RelativeDifference(asRgba, expected):E2}, BGRA {RelativeDifference(asBgra, expected):E2}, swapped {RelativeDifference(swapped, expected):E2}");
        Assert.True(RelativeDifference(asRgba, expected) <= ScoreTolerance);
        Assert.True(RelativeDifference(asBgra, expected) <= ScoreTolerance);
        Assert.True(RelativeDifference(swapped, expected) > 100 * ScoreTolerance, "swapping R and B left the scores as they were");
    }

    /// <summary>The inference library's scores of the rows (row i from stream i of seed 0, as the transform draws them).</summary>
    private float[] Reference(float[] pixels, int count)
    {
        using var model = LatentEbmInference.Open(bundles.External);
        return model.ScoreBatch([new ImageRequest(pixels, count, Seed: 0, FirstStream: 0)])[0];
    }

    /// <summary>The pixels the transform reads from ML.NET's LoadImages and ResizeImages(32, 32), as [3, 32, 32] per file.</summary>
    private float[] LoadedByMlNet(IReadOnlyList<string> files)
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(files.Select(f => new CifarReadmeExample.ImageFile { ImagePath = f }));
        var images = ml.Transforms.LoadImages("Image", bundles.JpegFolder, inputColumnName: "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", imageWidth: 32, imageHeight: 32)).Fit(data).Transform(data);
        var pixels = new float[files.Count * 3 * 1024];
        int row = 0;
        foreach (var image in images.GetColumn<MLImage>("Image"))
            MLImagePixels.ToPlanes(image, 3, pixels.AsSpan(row++ * 3 * 1024, 3 * 1024));
        return pixels;
    }

    private float[] Score(MLImage[] images)
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(images.Select(i => new PixelImage { Image = i }));
        using var scorer = ml.Transforms.ScoreLatentEbmAnomaly(bundles.External, inputColumnName: "Image").Fit(data);
        return [.. scorer.Transform(data).GetColumn<float>("Score")];
    }

    /// <summary>[3, H, W] on [-1, 1] (k / 127.5 - 1) back to RGBA bytes, opaque.</summary>
    private static byte[] Rgba(ReadOnlySpan<float> planes)
    {
        int plane = planes.Length / 3;
        var bytes = new byte[4 * plane];
        for (int i = 0; i < plane; i++)
        {
            for (int c = 0; c < 3; c++) bytes[4 * i + c] = (byte)Math.Round((planes[c * plane + i] + 1) * 127.5);
            bytes[4 * i + 3] = 255;
        }
        return bytes;
    }

    private static byte[] SwapRedAndBlue(byte[] pixels)
    {
        var swapped = (byte[])pixels.Clone();
        for (int i = 0; i < swapped.Length; i += 4) (swapped[i], swapped[i + 2]) = (pixels[i + 2], pixels[i]);
        return swapped;
    }

    private static float RelativeDifference(float[] actual, float[] expected) =>
        actual.Zip(expected).Max(t => Math.Abs(t.First - t.Second) / Math.Max(1, Math.Abs(t.Second)));
}
