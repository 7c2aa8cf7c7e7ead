using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Google.Protobuf;
using LatentEbm.Data.Datasets;
using LatentEbm.Data.IO;
using LatentEbm.Data.Sources;
using LatentEbm.Inference.Runtime;
using LatentEbm.Onnx;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Evaluation;

/// <summary>How a feature classifier is trained (<see cref="FeatureClassifier.TrainAndExport(LabeledImages, LabeledImages, string, FeatureClassifierTraining)"/>).</summary>
public sealed record FeatureClassifierTraining
{
    /// <summary>The dataset the images come from (recorded in the card; default mnist).</summary>
    public DatasetName Dataset { get; init; } = DatasetName.Mnist;

    /// <summary>The architecture, or null for <see cref="FeatureClassifierNetworks.DefaultFor"/> the images.</summary>
    public FeatureClassifierArchitecture? Architecture { get; init; }

    /// <summary>Training epochs (fixed before training; default 10, the MNIST MLP's).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Seed of initialisation, batch order and flips.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Where the pixels come from when it matters (e.g. CIFAR-10's JPEG re-encode), appended to the card's note; or null.</summary>
    public string? PixelNote { get; init; }

    /// <summary>Called after each epoch with its index (from 1), mean training loss and wall seconds.</summary>
    public Action<int, double, double>? OnEpoch { get; init; }
}

/// <summary>
/// The small classifier whose penultimate layer is the feature space of the sample-quality distances
/// (a Fréchet distance in the manner of FID and the kernel distance of KID, but in this classifier's
/// features: a proxy, not Inception's, not comparable with published FIDs or KIDs). For the MNIST family an
/// MLP 784 → 256 → 128 → 10 on flattened pixels; for colour images a small CNN
/// (<see cref="FeatureClassifierArchitecture.Cnn"/>, with random horizontal flips). Trained with Adam
/// (learning rate 1e-3, batch 128) on every class of the train split, images on the [-1, 1] scale;
/// shipped as ONNX (<c>x [B, ...input] → features [B, F], logits [B, classes]</c>) once ONNX Runtime
/// reproduces TorchSharp's features and logits on test images within <see cref="ExportTolerance"/>.
/// </summary>
public static class FeatureClassifier
{
    /// <summary>The ONNX file in the classifier folder.</summary>
    public const string OnnxFile = "classifier.onnx";

    /// <summary>The card in the classifier folder.</summary>
    public const string CardFile = "classifier.json";

    /// <summary>Bound on the export's relative error (ONNX Runtime against TorchSharp, float32): the bundle verifier's single-evaluation bound.</summary>
    public const double ExportTolerance = BundleVerifier.SingleTolerance;

    /// <summary>Test images the export check runs.</summary>
    public const int ExportCheckImages = 64;

    private const int BatchSize = 128;
    private const double LearningRate = 1e-3;

    /// <summary>Trains the MNIST-style classifier (default architecture for the images) and writes it; see the other overload.</summary>
    public static FeatureClassifierCard TrainAndExport(LabeledImages train, LabeledImages test, string outFolder, int epochs = 10, int seed = 1) =>
        TrainAndExport(train, test, outFolder, new FeatureClassifierTraining { Epochs = epochs, Seed = seed });

    /// <summary>Trains the classifier, checks its export, and writes <c>classifier.onnx</c> and <c>classifier.json</c> into <paramref name="outFolder"/>.</summary>
    /// <param name="train">Training images (every class), [-1, 1].</param>
    /// <param name="test">Test images for the reported accuracy (measured once, after training) and the export check.</param>
    /// <param name="outFolder">Folder to write (created).</param>
    /// <param name="settings">Dataset, architecture, epochs, seed.</param>
    /// <exception cref="ArgumentException">Train and test images differ in shape, or the architecture does not take them.</exception>
    /// <exception cref="OnnxExportException">The exported graph does not reproduce TorchSharp within <see cref="ExportTolerance"/>; nothing is written.</exception>
    public static FeatureClassifierCard TrainAndExport(LabeledImages train, LabeledImages test, string outFolder, FeatureClassifierTraining settings)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Epochs);
        if (!train.Observation.Equals(test.Observation))
            throw new ArgumentException($"train images are {train.Observation.ShapeText} but test images {test.Observation.ShapeText}");
        var architecture = settings.Architecture ?? FeatureClassifierNetworks.DefaultFor(train.Observation);
        torch.manual_seed(settings.Seed);
        var layers = FeatureClassifierNetworks.Create(architecture, train.Observation, train.ClassNames.Count);
        using var net = nn.Sequential(layers.Modules.ToArray());
        long[] inputShape = [.. layers.InputShape.Select(d => (long)d)];
        var stopwatch = Stopwatch.StartNew();
        Train(net, train, inputShape, architecture == FeatureClassifierArchitecture.Cnn, settings);
        double trainSeconds = stopwatch.Elapsed.TotalSeconds;
        net.eval();
        double accuracy = Accuracy(net, test, inputShape);

        var network = ModuleExporter.ToNetwork(net.children(), inputShape);
        var model = NetworkGraphs.Classifier(network, layers.FeatureLayer, new Dictionary<string, string>
        {
            ["purpose"] = "feature space of the sample-quality Fréchet distance and KID (a proxy, not Inception FID or KID)",
            ["pixel_range"] = "[-1, 1]",
            ["dataset"] = SettingNames.Of(settings.Dataset),
        });
        byte[] onnx = model.ToByteArray();
        var check = test.Select([.. Enumerable.Range(0, Math.Min(ExportCheckImages, test.Count))]);
        double exportError = ExportError(onnx, layers, check); // the Sequential holds these very modules
        if (!(exportError <= ExportTolerance))
            throw new OnnxExportException($"the exported classifier differs from TorchSharp by {exportError:E2} (relative; bound {ExportTolerance:E0}); nothing written");

        Directory.CreateDirectory(outFolder);
        AtomicFile.WriteAllBytes(Path.Combine(outFolder, OnnxFile), onnx);
        var card = new FeatureClassifierCard(network.Describe(), layers.FeatureDimension, settings.Epochs, settings.Seed, train.Count, accuracy,
            Convert.ToHexStringLower(SHA256.HashData(onnx)), Note(architecture, settings),
            SettingNames.Of(settings.Dataset), layers.InputShape, test.Count,
            $"Adam (learning rate {LearningRate}, betas 0.9, 0.999), batch {BatchSize}, cross-entropy, every class of the train split in a seeded shuffle each epoch (the last partial batch dropped)"
            + (architecture == FeatureClassifierArchitecture.Cnn ? ", random horizontal flips of half the images" : ""),
            Math.Round(trainSeconds, 1), torch.get_num_threads(), exportError);
        AtomicFile.WriteAllText(Path.Combine(outFolder, CardFile), JsonSerializer.Serialize(card, TrainingConfig.JsonOptions));
        return card;
    }

    private static void Train(nn.Module<Tensor, Tensor> net, LabeledImages train, long[] inputShape, bool flips, FeatureClassifierTraining settings)
    {
        using var optimizer = optim.Adam(net.parameters(), LearningRate);
        using var x = tensor(train.Pixels, [train.Count, .. inputShape]);
        using var y = tensor(train.Labels.Select(l => (long)l).ToArray(), [train.Count]);
        var order = Enumerable.Range(0, train.Count).ToArray();
        var rng = new Random(settings.Seed);
        for (int epoch = 0; epoch < settings.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            double lossSum = 0;
            int batches = 0;
            AnomalySplit.Shuffle(order, rng);
            for (int start = 0; start + BatchSize <= order.Length; start += BatchSize)
            {
                using var scope = NewDisposeScope();
                using var index = tensor(order.AsSpan(start, BatchSize).ToArray(), dtype: int64);
                var batch = x.index_select(0, index);
                if (flips)
                {
                    var flip = tensor(Enumerable.Range(0, BatchSize).Select(_ => rng.Next(2) == 1).ToArray()).view(BatchSize, 1, 1, 1);
                    batch = where(flip, batch.flip(3), batch);
                }
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(net.forward(batch), y.index_select(0, index));
                loss.backward();
                optimizer.step();
                if (settings.OnEpoch is not null) lossSum += loss.item<float>();
                batches++;
            }
            settings.OnEpoch?.Invoke(epoch + 1, lossSum / Math.Max(1, batches), clock.Elapsed.TotalSeconds);
        }
    }

    /// <summary>Share of <paramref name="test"/> whose largest logit is its label, in batches of 500.</summary>
    private static double Accuracy(nn.Module<Tensor, Tensor> net, LabeledImages test, long[] inputShape)
    {
        long correct = 0;
        using var noGrad = no_grad();
        for (int start = 0; start < test.Count; start += 500)
        {
            int count = Math.Min(500, test.Count - start);
            using var scope = NewDisposeScope();
            var logits = net.forward(tensor(test.Pixels.AsSpan(start * test.PixelsPerImage, count * test.PixelsPerImage).ToArray(), [count, .. inputShape]));
            correct += logits.argmax(1).eq(tensor(test.Labels.AsSpan(start, count).ToArray().Select(l => (long)l).ToArray())).sum().item<long>();
        }
        return (double)correct / test.Count;
    }

    /// <summary>
    /// How far the ONNX classifier <paramref name="onnx"/> is from the TorchSharp layers <paramref name="layers"/> on
    /// <paramref name="images"/>: the larger over <c>features</c> and <c>logits</c> of max |onnx - torch| / max |torch|.
    /// </summary>
    /// <param name="onnx">The serialised model.</param>
    /// <param name="layers">The layers it was exported from (evaluation mode).</param>
    /// <param name="images">Images in the classifier's input shape (as many values per image).</param>
    public static double ExportError(byte[] onnx, FeatureClassifierLayers layers, LabeledImages images)
    {
        float[] onnxFeatures, onnxLogits;
        using (var graph = OrtGraph.Load(onnx))
        {
            var outputs = graph.Run([GraphInput.Float32("x", images.Pixels, [images.Count, .. layers.InputShape.Select(d => (long)d)])], ["features", "logits"]);
            onnxFeatures = outputs["features"].Floats;
            onnxLogits = outputs["logits"].Floats;
        }
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var h = tensor(images.Pixels, [images.Count, .. layers.InputShape.Select(d => (long)d)]);
        Tensor? features = null;
        for (int i = 0; i < layers.Modules.Count; i++)
        {
            h = layers.Modules[i].forward(h);
            if (i == layers.FeatureLayer) features = h;
        }
        return Math.Max(RelativeError(onnxFeatures, features!), RelativeError(onnxLogits, h));
    }

    private static double RelativeError(float[] onnx, Tensor torchValues)
    {
        float[] reference = torchValues.contiguous().data<float>().ToArray();
        if (reference.Length != onnx.Length) return double.PositiveInfinity;
        double scale = reference.Max(v => Math.Abs((double)v)), worst = 0;
        for (int i = 0; i < onnx.Length; i++) worst = Math.Max(worst, Math.Abs((double)onnx[i] - reference[i]));
        return scale > 0 ? worst / scale : worst;
    }

    private static string Note(FeatureClassifierArchitecture architecture, FeatureClassifierTraining settings)
    {
        if (architecture == FeatureClassifierArchitecture.Mlp && settings.Dataset == DatasetName.Mnist && settings.PixelNote is null)
            return "Penultimate-layer features (after the second ReLU) for a Fréchet distance between prior samples and test images; a proxy for sample quality on MNIST, not Inception FID.";
        string name = SettingNames.Of(settings.Dataset);
        return $"Penultimate-layer features (the {(architecture == FeatureClassifierArchitecture.Cnn ? FeatureClassifierNetworks.CnnFeatureDimension : FeatureClassifierNetworks.MlpFeatureDimension)}-wide ReLU before the last Linear) of a small {SettingNames.Of(architecture).ToUpperInvariant()} trained on the {name} train split, "
            + $"for a Fréchet distance and KID between decoded prior samples and test images: a proxy for Inception features, not Inception FID or KID, and not comparable with published numbers. "
            + $"Epochs ({settings.Epochs}) fixed before training; the test accuracy was measured once, after the last epoch, and chose nothing."
            + (settings.PixelNote is null ? "" : " " + settings.PixelNote);
    }
}
