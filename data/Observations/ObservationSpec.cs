using System.Text.Json.Serialization;

namespace LatentEbm.Data.Observations;

/// <summary>
/// The observations a model is trained on and accepts: kind, shape without the batch (<c>[C, H, W]</c>
/// for images) and value range (PAPER.md: pixels scaled to [-1, 1]). Carried by the training
/// configuration and by bundle manifests (schema version 2); inference, the service and the ML.NET
/// estimators read shapes from it, never from constants.
/// </summary>
/// <param name="Kind">What an observation is.</param>
/// <param name="Shape">Its shape without the batch: <c>[C, H, W]</c> for images, every size positive.</param>
/// <param name="Range">Lowest and highest value, e.g. <c>[-1, 1]</c>.</param>
public sealed record ObservationSpec(ObservationKind Kind, int[] Shape, double[] Range)
{
    /// <summary>28x28 grey images on [-1, 1]: the MNIST family, and what version-1 bundles and configs imply.</summary>
    public static ObservationSpec Grey28 => Image(1, 28, 28);

    /// <summary>An image spec <c>[channels, height, width]</c> on [-1, 1].</summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public static ObservationSpec Image(int channels, int height, int width)
    {
        var spec = new ObservationSpec(ObservationKind.Image, [channels, height, width], [-1, 1]);
        spec.Validate();
        return spec;
    }

    /// <summary>Channels C of an image observation.</summary>
    [JsonIgnore] public int Channels => Shape[0];

    /// <summary>Height H of an image observation.</summary>
    [JsonIgnore] public int Height => Shape[1];

    /// <summary>Width W of an image observation.</summary>
    [JsonIgnore] public int Width => Shape[2];

    /// <summary>Values per observation (the product of <see cref="Shape"/>).</summary>
    [JsonIgnore] public int Size => Shape.Aggregate(1, (a, b) => a * b);

    /// <summary>The shape as text, e.g. <c>[3, 32, 32]</c>.</summary>
    [JsonIgnore] public string ShapeText => $"[{string.Join(", ", Shape)}]";

    /// <summary>Checks the shape and range.</summary>
    /// <exception cref="ArgumentException">Not <c>[C, H, W]</c> with positive sizes, or a range that is not two finite increasing values.</exception>
    public void Validate()
    {
        if (Kind == ObservationKind.Image && (Shape is not { Length: 3 } || Shape.Any(d => d < 1)))
            throw new ArgumentException($"an image observation has shape [C, H, W] with positive sizes, got [{string.Join(", ", Shape ?? [])}]");
        if (Range is not { Length: 2 } || !double.IsFinite(Range[0]) || !double.IsFinite(Range[1]) || !(Range[0] < Range[1]))
            throw new ArgumentException($"observation range must be two finite increasing values, got [{string.Join(", ", Range ?? [])}]");
    }

    /// <summary>Equal kind, shape and range (value equality, unlike the arrays').</summary>
    public bool Equals(ObservationSpec? other) =>
        other is not null && Kind == other.Kind && Shape.SequenceEqual(other.Shape) && Range.SequenceEqual(other.Range);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, Size, Shape.Length);
}
