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
            ? $"That value is your own: unset {TorchRuntime.IsaVariable} to let LatentEbm decide (it switches oneDNN off for convolutions on AVX-512 CPUs), and check with `latent-ebm self-check`."
            : setting.StartsWith("oneDNN on", StringComparison.Ordinal)
                ? $"Set {TorchRuntime.PolicyVariable}=off to run libtorch's own convolution kernels instead of oneDNN, and check with `latent-ebm self-check`."
                : $"LatentEbm's setting did not make them right on this CPU: try {TorchRuntime.PolicyVariable}=off or sse41 with `latent-ebm self-check`, and report the CPU and this message."))
{
    /// <summary>The quantities over the bound, worst first.</summary>
    public IReadOnlyList<SelfCheckError> Errors { get; } = errors;

    /// <summary>The processor and its SIMD features.</summary>
    public string Cpu { get; } = cpu;

    /// <summary>The setting in force (<see cref="TorchRuntime.DescribeSetting"/>).</summary>
    public string Setting { get; } = setting;
}
