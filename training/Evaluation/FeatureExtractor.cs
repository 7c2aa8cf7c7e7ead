using System.Security.Cryptography;
using System.Text.Json;
using LatentEbm.Data.Observations;
using LatentEbm.Training.Configuration;
using LatentEbm.Inference.Runtime;

namespace LatentEbm.Training.Evaluation;

/// <summary>Runs a shipped feature classifier (<see cref="FeatureClassifier"/>) on ONNX Runtime's CPU provider.</summary>
public sealed class FeatureExtractor : IDisposable
{
    private readonly OrtGraph graph;
    private readonly string folder;

    /// <summary>Opens <c>classifier.onnx</c> in <paramref name="folder"/>, checking it against the SHA-256 of its card.</summary>
    /// <exception cref="IOException">The folder, file or card is missing, unreadable, the hash differs, or the graph has no input <c>x</c> of fixed sizes (the message names the file).</exception>
    public FeatureExtractor(string folder)
    {
        this.folder = folder;
        string onnx = Path.Combine(folder, FeatureClassifier.OnnxFile), cardPath = Path.Combine(folder, FeatureClassifier.CardFile);
        if (!File.Exists(onnx) || !File.Exists(cardPath))
            throw new FileNotFoundException($"{folder} holds no feature classifier ({FeatureClassifier.OnnxFile} and {FeatureClassifier.CardFile}); make one with `latent-ebm classifier train`", onnx);
        try
        {
            Card = JsonSerializer.Deserialize<FeatureClassifierCard>(File.ReadAllText(cardPath), TrainingConfig.JsonOptions) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new IOException($"{cardPath}: malformed card ({e.Message})", e);
        }
        byte[] bytes = File.ReadAllBytes(onnx);
        if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != Card.Sha256)
            throw new IOException($"{onnx}: SHA-256 differs from {FeatureClassifier.CardFile}; the file is damaged or was replaced");
        graph = OrtGraph.Load(bytes);
        var dimensions = graph.Session.InputMetadata.TryGetValue("x", out var x) ? x.Dimensions : null;
        if (dimensions is null || dimensions.Length < 2 || dimensions.Skip(1).Any(d => d < 1))
        {
            graph.Dispose();
            throw new IOException($"{onnx}: not a feature classifier (no input x [B, ...] with fixed sizes)");
        }
        InputShape = dimensions[1..];
    }

    /// <summary>The classifier's card.</summary>
    public FeatureClassifierCard Card { get; }

    /// <summary>Input shape without the batch, read from the ONNX graph: <c>[784]</c> (flattened MNIST) or <c>[C, H, W]</c>.</summary>
    public int[] InputShape { get; }

    /// <summary>Values per input image (the product of <see cref="InputShape"/>).</summary>
    public int InputSize => InputShape.Aggregate(1, (a, b) => a * b);

    /// <summary>The input shape as text, e.g. <c>[3, 32, 32]</c>.</summary>
    public string InputShapeText => $"[{string.Join(", ", InputShape)}]";

    /// <summary>
    /// Whether the classifier takes images of <paramref name="observation"/>: the same <c>[C, H, W]</c>, or, for a
    /// classifier on flattened pixels, as many values (<c>[784]</c> takes <c>[1, 28, 28]</c>).
    /// </summary>
    public bool Accepts(ObservationSpec observation) =>
        InputShape.Length == 1 ? InputShape[0] == observation.Size : InputShape.SequenceEqual(observation.Shape);

    /// <summary>Throws unless the classifier takes images of <paramref name="observation"/> (<see cref="Accepts"/>).</summary>
    /// <param name="observation">The images to embed.</param>
    /// <param name="whose">Whose images they are, for the message (e.g. the run folder).</param>
    /// <exception cref="ArgumentException">The shapes differ; the message names both.</exception>
    public void CheckAccepts(ObservationSpec observation, string whose)
    {
        if (!Accepts(observation))
            throw new ArgumentException($"the feature classifier in {folder} takes inputs {InputShapeText} ({Card.Dataset ?? "mnist"}), but {whose} observes {observation.ShapeText}; "
                + "use a classifier trained on the run's dataset (`latent-ebm classifier train --dataset ...`, e.g. models/cifar10-classifier for cifar-10)");
    }

    /// <summary>Features of <paramref name="count"/> images, run in batches of at most 2^23 input values (10,700 flattened MNIST images, 2,730 CIFAR-10 images).</summary>
    /// <param name="pixels">Images, row-major <c>[count, ...InputShape]</c> (any shape with as many values per image), [-1, 1].</param>
    /// <param name="count">Number of images.</param>
    /// <returns>Row-major <c>[count, FeatureDimension]</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="pixels"/> does not hold <paramref name="count"/> inputs.</exception>
    public float[] Features(float[] pixels, int count)
    {
        int size = InputSize, width = Card.FeatureDimension;
        if (pixels.Length != (long)count * size)
            throw new ArgumentException($"{pixels.Length} values are not {count} inputs of {InputShapeText}");
        var features = new float[(long)count * width];
        int rows = Math.Max(1, (1 << 23) / size);
        for (int start = 0; start < count; start += rows)
        {
            int n = Math.Min(rows, count - start);
            var input = GraphInput.Float32("x", new Memory<float>(pixels, start * size, n * size), [n, .. InputShape.Select(d => (long)d)]);
            graph.Run([input], ["features"])["features"].Floats.CopyTo(features.AsSpan(start * width, n * width));
        }
        return features;
    }

    /// <inheritdoc />
    public void Dispose() => graph.Dispose();
}
