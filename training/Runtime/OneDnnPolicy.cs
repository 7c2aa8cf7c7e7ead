namespace LatentEbm.Training.Runtime;

/// <summary>How libtorch runs its convolutions in this process (<see cref="TorchRuntime"/>).</summary>
public enum OneDnnPolicy
{
    /// <summary>oneDNN as libtorch ships it, no cap.</summary>
    On,

    /// <summary>oneDNN off for convolutions: libtorch's own kernels (im2col and matrix products).</summary>
    Off,

    /// <summary>oneDNN capped at SSE4.1 (<c>ONEDNN_MAX_CPU_ISA=SSE41</c>).</summary>
    Sse41,

    /// <summary>oneDNN on with the user's own <c>ONEDNN_MAX_CPU_ISA</c>.</summary>
    UserCap,
}
