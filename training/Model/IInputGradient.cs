using static TorchSharp.torch;

namespace LatentEbm.Training.Model;

/// <summary>
/// A network whose vector-Jacobian product with respect to its <b>input</b> is written out by hand,
/// so that Langevin chains need no autograd graph: one forward pass records what the backward pass
/// needs (<see cref="InputVjpTape"/>), and the backward pass is a few matrix products.
/// </summary>
public interface IInputGradient
{
    /// <summary>
    /// The network's layers for the hand-written VJP, with weights in <paramref name="matmulType"/>
    /// (the parameters themselves when that is their type, detached copies otherwise: cast once per
    /// chain, not per step).
    /// </summary>
    /// <param name="matmulType">Type of the matrix products (float32, float64 or bfloat16).</param>
    MlpLayers LayersFor(ScalarType matmulType);
}
