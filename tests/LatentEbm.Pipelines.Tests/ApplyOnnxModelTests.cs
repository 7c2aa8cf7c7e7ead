using LatentEbm.Inference;
using LatentEbm.Inference.Bundles;
using LatentEbm.Tests.Shared;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace LatentEbm.Pipelines.Tests;

/// <summary>
/// A bundle graph in ML.NET's own <c>ApplyOnnxModel</c>, saved with <c>mlContext.Model.Save</c> and loaded again.
/// The saved model keeps the graph's bytes only and writes them to a new file in the loading context's
/// temp folder, where ONNX Runtime then looks for the graph's external <c>weights.bin</c>.
/// </summary>
[Collection(TinyCifarCollection.Name)]
public class ApplyOnnxModelTests(TinyCifarBundles bundles, ITestOutputHelper output)
{
    private const int Nz = 8, Rows = 5;

    private sealed class LatentRow
    {
        [VectorType(Nz)] public float[] z { get; set; } = [];
    }

    private static float[] Latents() => [.. Enumerable.Range(0, Rows * Nz).Select(i => (float)Math.Sin(0.7 * i + 0.3))];

    private static IDataView Data(MLContext ml)
    {
        var z = Latents();
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, Rows).Select(r => new LatentRow { z = z[(r * Nz)..((r + 1) * Nz)] }));
    }

    /// <summary>Fits ApplyOnnxModel on the bundle's decoder and saves the model to a zip in a folder of its own.</summary>
    private static string SaveDecoder(string bundle)
    {
        var ml = new MLContext(seed: 0) { TempFilePath = TestPaths.NewTempFolder() };
        var data = Data(ml);
        using var model = ml.Transforms.ApplyOnnxModel(["x"], ["z"], Path.Combine(bundle, "decoder.onnx")).Fit(data);
        Assert.Equal(3 * 32 * 32, model.Transform(data).GetColumn<float[]>("x").First().Length); // fits and runs from the bundle folder
        string zip = Path.Combine(TestPaths.NewTempFolder(), "decoder-model.zip");
        ml.Model.Save(model, data.Schema, zip);
        return zip;
    }

    /// <summary>Loads the zip in a new context whose temp folder is <paramref name="tempFolder"/> and decodes the rows.</summary>
    private static float[] LoadAndDecode(string zip, string tempFolder)
    {
        var ml = new MLContext(seed: 0) { TempFilePath = tempFolder };
        var model = ml.Model.Load(zip, out _);
        try
        {
            return [.. model.Transform(Data(ml)).GetColumn<float[]>("x").SelectMany(x => x)];
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    private static float[] Decoded(string bundle)
    {
        using var inference = LatentEbmInference.Open(bundle);
        return inference.Decode(Latents(), Rows);
    }

    [Fact]
    public void ASavedModelOfAnExternalWeightsGraphDoesNotLoadAgain()
    {
        Assert.NotNull(ModelBundle.ReadManifest(bundles.External).Weights);
        string zip = SaveDecoder(bundles.External);
        var error = Assert.ThrowsAny<Exception>(() => LoadAndDecode(zip, TestPaths.NewTempFolder()));
        string chain = string.Join(" --> ", Chain(error).Select(e => $"{e.GetType().FullName}: {e.Message}"));
        output.WriteLine(chain);
        Assert.Contains("weights.bin", chain);
    }

    [Fact]
    public void WithAStrayWeightsFileInTheTempFolderItSilentlyLoadsThoseWeights()
    {
        string zip = SaveDecoder(bundles.External);
        // Another bundle of the same architecture: the same layout, other values (here every weight halved).
        string temp = TestPaths.NewTempFolder();
        var stray = File.ReadAllBytes(Path.Combine(bundles.External, "weights.bin"));
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(stray.AsSpan());
        for (int i = 0; i < values.Length; i++) values[i] *= 0.5f;
        File.WriteAllBytes(Path.Combine(temp, "weights.bin"), stray);

        float[] loaded = LoadAndDecode(zip, temp), expected = Decoded(bundles.External);
        float difference = loaded.Zip(expected).Max(t => Math.Abs(t.First - t.Second));
        output.WriteLine($"loaded without error; decoder outputs differ from the bundle's by up to {difference:E2}");
        Assert.True(difference > 1e-2f, $"differ by {difference:E2} only");
    }

    [Fact]
    public void ASavedModelOfAnEmbeddedWeightsGraphLoadsAnywhereAndDecodesAsTheInferenceLibrary()
    {
        Assert.Null(ModelBundle.ReadManifest(bundles.Embedded).Weights);
        Assert.False(File.Exists(Path.Combine(bundles.Embedded, "weights.bin")));
        string zip = SaveDecoder(bundles.Embedded);
        // Even with a stray weights.bin beside it: the graph no longer reads any file but itself.
        string temp = TestPaths.NewTempFolder();
        File.WriteAllBytes(Path.Combine(temp, "weights.bin"), new byte[File.ReadAllBytes(Path.Combine(bundles.External, "weights.bin")).Length]);
        float[] loaded = LoadAndDecode(zip, temp);
        float[] expected = Decoded(bundles.Embedded), external = Decoded(bundles.External);
        Assert.Equal(expected.Length, loaded.Length);
        float difference = loaded.Zip(expected).Max(t => Math.Abs(t.First - t.Second));
        output.WriteLine($"embedded: ML.NET after save and load against LatentEbmInference, largest difference {difference:E2}");
        Assert.True(difference <= 1e-6f, $"differ by {difference:E2}"); // the same graph and weights on the same ONNX Runtime
        Assert.Equal(external, expected); // the same checkpoint's weights, stored the other way
    }

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException) yield return e;
    }
}
