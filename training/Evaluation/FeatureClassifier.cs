using System.Security.Cryptography;
using System.Text.Json;
using Google.Protobuf;
using LatentEbm.Data.Datasets;
using LatentEbm.Data.IO;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Export;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Evaluation;

/// <summary>What a shipped feature classifier is (<c>classifier.json</c> beside <c>classifier.onnx</c>).</summary>
/// <param name="Architecture">Its layers.</param>
/// <param name="FeatureDimension">Width of the <c>features</c> output.</param>
/// <param name="Epochs">Training epochs.</param>
/// <param name="Seed">Seed of initialisation and batch order.</param>
/// <param name="TrainImages">Images trained on (the MNIST train split, every digit).</param>
/// <param name="TestAccuracy">Accuracy on the MNIST test split.</param>
/// <param name="Sha256">SHA-256 of classifier.onnx.</param>
/// <param name="Note">What the features are for.</param>
public sealed record FeatureClassifierCard(string Architecture, int FeatureDimension, int Epochs, int Seed, int TrainImages, double TestAccuracy, string Sha256, string Note);

/// <summary>
/// The small MNIST classifier whose penultimate layer is the feature space of the sample-quality
/// distance (a Fréchet distance in the manner of FID, but in this classifier's features: a proxy, not
/// Inception FID, and not comparable with published FIDs). An MLP 784 → 256 → 128 → 10 with ReLU,
/// trained with Adam on all digits of the MNIST train split, images on the [-1, 1] scale; shipped as
/// ONNX (<c>x [B, 784] → features [B, 128], logits [B, 10]</c>).
/// </summary>
public static class FeatureClassifier
{
    /// <summary>The ONNX file in the classifier folder.</summary>
    public const string OnnxFile = "classifier.onnx";

    /// <summary>The card in the classifier folder.</summary>
    public const string CardFile = "classifier.json";

    /// <summary>Trains the classifier and writes <c>classifier.onnx</c> and <c>classifier.json</c> into <paramref name="outFolder"/>.</summary>
    /// <param name="train">Training images (all digits), [-1, 1].</param>
    /// <param name="test">Test images for the reported accuracy.</param>
    /// <param name="outFolder">Folder to write (created).</param>
    /// <param name="epochs">Epochs (default 10).</param>
    /// <param name="seed">Seed.</param>
    public static FeatureClassifierCard TrainAndExport(LabeledImages train, LabeledImages test, string outFolder, int epochs = 10, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        torch.manual_seed(seed);
        int pixels = train.PixelsPerImage;
        using var net = nn.Sequential(nn.Linear(pixels, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10));
        using var optimizer = optim.Adam(net.parameters(), 1e-3);
        using var x = tensor(train.Pixels, [train.Count, pixels]);
        using var y = tensor(train.Labels.Select(l => (long)l).ToArray(), [train.Count]);
        const int batch = 128;
        var order = Enumerable.Range(0, train.Count).ToArray();
        var rng = new Random(seed);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            AnomalySplit.Shuffle(order, rng);
            for (int start = 0; start + batch <= order.Length; start += batch)
            {
                using var scope = NewDisposeScope();
                using var index = tensor(order.AsSpan(start, batch).ToArray(), dtype: int64);
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(net.forward(x.index_select(0, index)), y.index_select(0, index));
                loss.backward();
                optimizer.step();
            }
        }
        double accuracy;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            var logits = net.forward(tensor(test.Pixels, [test.Count, pixels]));
            var predicted = logits.argmax(1);
            accuracy = predicted.eq(tensor(test.Labels.Select(l => (long)l).ToArray())).to(float64).mean().item<double>();
        }

        var modules = net.children().ToList();
        var network = ModuleExporter.ToNetwork(modules, [pixels]);
        var model = NetworkGraphs.Classifier(network, featureLayer: 3, new Dictionary<string, string>
        {
            ["purpose"] = "feature space of the sample-quality Fréchet distance (a proxy, not Inception FID)",
            ["pixel_range"] = "[-1, 1]",
        });
        byte[] onnx = model.ToByteArray();
        Directory.CreateDirectory(outFolder);
        AtomicFile.WriteAllBytes(Path.Combine(outFolder, OnnxFile), onnx);
        var card = new FeatureClassifierCard(network.Describe(), 128, epochs, seed, train.Count, accuracy,
            Convert.ToHexStringLower(SHA256.HashData(onnx)),
            "Penultimate-layer features (after the second ReLU) for a Fréchet distance between prior samples and test images; a proxy for sample quality on MNIST, not Inception FID.");
        AtomicFile.WriteAllText(Path.Combine(outFolder, CardFile), JsonSerializer.Serialize(card, TrainingConfig.JsonOptions));
        return card;
    }
}
