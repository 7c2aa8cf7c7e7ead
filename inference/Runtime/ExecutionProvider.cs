namespace LatentEbm.Inference.Runtime;

/// <summary>Which ONNX Runtime execution provider runs a bundle's graphs.</summary>
public enum ExecutionProvider
{
    /// <summary>CUDA when its libraries load, else CPU (the reason is logged and reported).</summary>
    Auto,
    /// <summary>CPU only.</summary>
    Cpu,
    /// <summary>CUDA only: fails fast with <see cref="ExecutionProviderException"/> when CUDA cannot load.</summary>
    Cuda,
}

/// <summary>How sessions are created.</summary>
/// <param name="Provider">Execution provider to ask for.</param>
/// <param name="DeviceId">CUDA device index (≥ 0).</param>
/// <param name="IntraOpThreads">CPU threads per graph run; 0 lets ONNX Runtime choose.</param>
/// <param name="AllowTf32">Let CUDA use TF32 matrix units (faster, about 1e-3 relative error); off by default so CUDA matches CPU to float32 rounding.</param>
public sealed record ExecutionOptions(ExecutionProvider Provider = ExecutionProvider.Auto, int DeviceId = 0, int IntraOpThreads = 0, bool AllowTf32 = false);

/// <summary>The provider actually chosen, and why.</summary>
/// <param name="Provider"><see cref="ExecutionProvider.Cpu"/> or <see cref="ExecutionProvider.Cuda"/>.</param>
/// <param name="Reason">Why (e.g. the CUDA load error that made <c>auto</c> fall back).</param>
public sealed record ProviderChoice(ExecutionProvider Provider, string Reason);

/// <summary>The requested execution provider cannot run here (for example <c>cuda</c> without CUDA libraries).</summary>
public sealed class ExecutionProviderException(string message, Exception? inner = null) : InvalidOperationException(message, inner);
