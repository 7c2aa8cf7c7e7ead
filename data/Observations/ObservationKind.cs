namespace LatentEbm.Data.Observations;

/// <summary>What an observation x is (DESIGN.md, "Seams for more than MNIST").</summary>
public enum ObservationKind
{
    /// <summary>An image <c>[C, H, W]</c> of real values in a range, e.g. [-1, 1].</summary>
    Image,
}
