namespace LatentEbm.Training.Runtime;

/// <summary>
/// libtorch's float32 convolutions disagree with float64 on this CPU, so training would learn from
/// wrong gradients; thrown before training starts.
/// </summary>
public sealed class ConvolutionSelfCheckException(IReadOnlyList<SelfCheckError> errors, string cpu, string setting, bool userSetting)
    : Exception($"libtorch's float32 convolutions disagree with float64 on this CPU, so training does not start: "
        + string.Join("; ", errors.Select(e => $"{e.Quantity} off by {e.RelativeError:E2}"))
        + $" (bound {ConvolutionSelfCheck.Bound:E0}). CPU: {cpu}. Setting: {setting}. "
        + (userSetting
            ? $"That value is your own: unset {TorchRuntime.IsaVariable} to let LatentEbm decide, or set it to {TorchRuntime.IsaCap}, the setting measured right on AVX-512 CPUs."
            : setting.Contains('=')
                ? $"LatentEbm's cap ({TorchRuntime.IsaCap}) did not make them right on this CPU: try another {TorchRuntime.IsaVariable} value with `latent-ebm self-check`, and report the CPU and this message."
                : $"Set {TorchRuntime.PolicyVariable}=always to cap oneDNN at {TorchRuntime.IsaCap} on this CPU too, and check with `latent-ebm self-check`."))
{
    /// <summary>The quantities over the bound, worst first.</summary>
    public IReadOnlyList<SelfCheckError> Errors { get; } = errors;

    /// <summary>The processor and its SIMD features.</summary>
    public string Cpu { get; } = cpu;

    /// <summary>The oneDNN setting in force, e.g. <c>ONEDNN_MAX_CPU_ISA=SSE41</c>.</summary>
    public string Setting { get; } = setting;
}
