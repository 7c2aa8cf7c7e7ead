using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Model;

/// <summary>
/// A network that describes itself to the ONNX builder as a plain sequence of standard modules
/// (Linear, activations, ConvTranspose2d, Unflatten, ...), applied in order to rows of <see cref="InputShape"/>.
/// </summary>
public interface ILayerSequence
{
    /// <summary>Input shape without the batch, e.g. <c>[nz]</c>.</summary>
    long[] InputShape { get; }

    /// <summary>The modules in the order the forward pass applies them (the trained ones, not copies).</summary>
    IEnumerable<nn.Module> Layers();
}
