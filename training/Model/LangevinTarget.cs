using static TorchSharp.torch;

namespace LatentEbm.Training.Model;

/// <summary>
/// The gradient of a chain's log density, z <c>[B, nz]</c> -> ∇_z log p <c>[B, nz]</c> (detached),
/// with whatever it prepared for the chain (weight copies), released by <see cref="Dispose"/>.
/// </summary>
public sealed class LangevinTarget(Func<Tensor, Tensor> gradient, params IDisposable[] owned) : IDisposable
{
    /// <summary>∇_z log p(z).</summary>
    public Tensor Gradient(Tensor z) => gradient(z);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var o in owned) o.Dispose();
    }
}
