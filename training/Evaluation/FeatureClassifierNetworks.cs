using LatentEbm.Training.Runtime;
using System.Text.Json.Serialization;
using LatentEbm.Data.Observations;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Evaluation;

/// <summary>The feature classifier's architecture (written as in <c>classifier.json</c> and on the command line).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FeatureClassifierArchitecture>))]
public enum FeatureClassifierArchitecture
{
    /// <summary>An MLP on flattened pixels: C·H·W → 256 → 128 → 10 with ReLU; features = the 128-wide penultimate layer (the MNIST classifier).</summary>
    [JsonStringEnumMemberName("mlp")] Mlp,
    /// <summary>
    /// A small CNN: Conv(C→32, k3 s1 p1) ReLU, Conv(32→64, k4 s2 p1) ReLU, Conv(64→128, k4 s2 p1) ReLU,
    /// Conv(128→128, k4 s2 p1) ReLU, Flatten, Linear(128·H/8·W/8 → 256) ReLU [features], Linear(256 → classes).
    /// Only layers the ONNX builder exports (no pooling, no normalisation). H and W must be multiples of 8.
    /// </summary>
    [JsonStringEnumMemberName("cnn")] Cnn,
}

/// <summary>A feature classifier's layers before training.</summary>
/// <param name="Modules">The layers in order (an <c>nn.Sequential</c> of them is the classifier).</param>
/// <param name="FeatureLayer">Index of the layer whose output is the <c>features</c> output.</param>
/// <param name="FeatureDimension">Width of that output.</param>
/// <param name="InputShape">Input shape without the batch: <c>[C·H·W]</c> for the MLP, <c>[C, H, W]</c> for the CNN.</param>
public sealed record FeatureClassifierLayers(IReadOnlyList<nn.Module<Tensor, Tensor>> Modules, int FeatureLayer, int FeatureDimension, int[] InputShape);

/// <summary>The architectures of <see cref="FeatureClassifierArchitecture"/>.</summary>
public static class FeatureClassifierNetworks
{
    /// <summary>Width of the CNN's feature layer.</summary>
    public const int CnnFeatureDimension = 256;

    /// <summary>Width of the MLP's feature layer.</summary>
    public const int MlpFeatureDimension = 128;

    /// <summary>The architecture for images of <paramref name="observation"/>: the MLP for 28x28 grey images (the MNIST family), the CNN otherwise.</summary>
    public static FeatureClassifierArchitecture DefaultFor(ObservationSpec observation) =>
        observation.Channels == 1 && observation.Height == 28 && observation.Width == 28 ? FeatureClassifierArchitecture.Mlp : FeatureClassifierArchitecture.Cnn;

    /// <summary>New, freshly initialised layers (TorchSharp's default initialisation, from the current torch seed).</summary>
    /// <param name="architecture">Which network.</param>
    /// <param name="observation">The images it takes, <c>[C, H, W]</c>.</param>
    /// <param name="classes">Number of classes (logits).</param>
    /// <exception cref="ArgumentException">The CNN for a height or width that is not a positive multiple of 8.</exception>
    public static FeatureClassifierLayers Create(FeatureClassifierArchitecture architecture, ObservationSpec observation, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        int c = observation.Channels, h = observation.Height, w = observation.Width;
        switch (architecture)
        {
            case FeatureClassifierArchitecture.Mlp:
                return new([nn.Linear(c * h * w, 256), nn.ReLU(), nn.Linear(256, MlpFeatureDimension), nn.ReLU(), nn.Linear(MlpFeatureDimension, classes)],
                    3, MlpFeatureDimension, [c * h * w]);
            case FeatureClassifierArchitecture.Cnn:
                if (h % 8 != 0 || w % 8 != 0 || h < 8 || w < 8)
                    throw new ArgumentException($"the cnn feature classifier takes images whose height and width are multiples of 8 (three stride-2 convolutions), got {observation.ShapeText}");
                TorchRuntime.Initialize(); // libtorch's convolution setting before the first one (issue 10)
                return new([
                    nn.Conv2d(c, 32, 3, stride: 1, padding: 1), nn.ReLU(),
                    nn.Conv2d(32, 64, 4, stride: 2, padding: 1), nn.ReLU(),
                    nn.Conv2d(64, 128, 4, stride: 2, padding: 1), nn.ReLU(),
                    nn.Conv2d(128, 128, 4, stride: 2, padding: 1), nn.ReLU(),
                    nn.Flatten(), nn.Linear(128 * (h / 8) * (w / 8), CnnFeatureDimension), nn.ReLU(),
                    nn.Linear(CnnFeatureDimension, classes)], 10, CnnFeatureDimension, [c, h, w]);
            default:
                throw new ArgumentException($"unknown feature classifier architecture {architecture}");
        }
    }
}
