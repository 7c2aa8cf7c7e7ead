using System.Security.Cryptography;
using System.Text.Json;
using LatentEbm.Training.Configuration;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace LatentEbm.Training.Evaluation;

/// <summary>Runs a shipped feature classifier (<see cref="FeatureClassifier"/>) on ONNX Runtime's CPU provider.</summary>
public sealed class FeatureExtractor : IDisposable
{
    private readonly InferenceSession session;

    /// <summary>Opens <c>classifier.onnx</c> in <paramref name="folder"/>, checking it against the SHA-256 of its card.</summary>
    /// <exception cref="IOException">The folder, file or card is missing, unreadable, or the hash differs (the message names the file).</exception>
    public FeatureExtractor(string folder)
    {
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
        using var options = new SessionOptions();
        session = new InferenceSession(bytes, options);
    }

    /// <summary>The classifier's card.</summary>
    public FeatureClassifierCard Card { get; }

    /// <summary>Features of <paramref name="count"/> images.</summary>
    /// <param name="pixels">Images, row-major <c>[count, 784]</c>, [-1, 1].</param>
    /// <param name="count">Number of images.</param>
    /// <returns>Row-major <c>[count, FeatureDimension]</c>.</returns>
    public float[] Features(float[] pixels, int count)
    {
        int width = pixels.Length / Math.Max(1, count);
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [count, width]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["x"], [input], ["features"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <inheritdoc />
    public void Dispose() => session.Dispose();
}
