using System.Runtime.InteropServices;

namespace LatentEbm.Training.Runtime;

/// <summary>
/// Process-wide settings of libtorch that must hold before its first use. On AVX-512 CPUs libtorch's
/// float32 convolutions, transposed convolutions and their gradients (oneDNN kernels) were measured
/// wrong by up to 6.7e-2 in the forward pass and 1.45 in the input gradient, while oneDNN capped to
/// SSE4.1 agrees with float64 to 7e-7 (capped to AVX2 it still failed; issue 10). On AVX2-only CPUs
/// the uncapped kernels agree with float64 and the cap makes a ConvTranspose generator's step about
/// 1.7 times slower (<c>docs/benchmarks.md</c>), so the cap applies where it is needed:
/// <see cref="Initialize"/> sets <c>ONEDNN_MAX_CPU_ISA=SSE41</c> on CPUs with AVX-512 (policy
/// <c>auto</c>; <c>LATENT_EBM_ONEDNN_CAP=always</c> or <c>never</c> overrides it), in the native
/// environment, where oneDNN reads it when it creates its first primitive (.NET's
/// <c>Environment.SetEnvironmentVariable</c> does not reach the native environment on Linux, so it
/// calls libc's <c>setenv</c>). A value of <c>ONEDNN_MAX_CPU_ISA</c> the user set is kept. Matrix
/// products (the MLPs) do not go through oneDNN. <see cref="ConvolutionSelfCheck"/> proves, on every
/// CPU, that the kernels in force are right.
/// </summary>
public static partial class TorchRuntime
{
    /// <summary>oneDNN's variable capping its instruction set.</summary>
    public const string IsaVariable = "ONEDNN_MAX_CPU_ISA";

    /// <summary>The cap LatentEbm applies: SSE4.1, the widest that was measured right on AVX-512 CPUs.</summary>
    public const string IsaCap = "SSE41";

    /// <summary>When to apply the cap: <c>auto</c> (default: on CPUs with AVX-512), <c>always</c> or <c>never</c>.</summary>
    public const string PolicyVariable = "LATENT_EBM_ONEDNN_CAP";

    private static readonly Lazy<string> Applied = new(Apply, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Applies the cap by its policy unless <c>ONEDNN_MAX_CPU_ISA</c> is already set; call it before
    /// libtorch's first convolution (every entry point does, first thing). Idempotent.
    /// </summary>
    /// <returns><see cref="DescribeSetting"/> once applied.</returns>
    /// <exception cref="InvalidOperationException"><c>LATENT_EBM_ONEDNN_CAP</c> holds another value than auto, always or never.</exception>
    public static string Initialize() => Applied.Value;

    /// <summary>Whether the value in force was set by the user (before the process started), not by <see cref="Initialize"/>.</summary>
    public static bool IsUserSetting { get; private set; }

    /// <summary>"ONEDNN_MAX_CPU_ISA=value" as the native environment holds it, or "ONEDNN_MAX_CPU_ISA unset (no cap)".</summary>
    public static string DescribeSetting() => NativeGetenv(IsaVariable) is { Length: > 0 } value ? $"{IsaVariable}={value}" : $"{IsaVariable} unset (no cap)";

    private static string Apply()
    {
        if (NativeGetenv(IsaVariable) is { Length: > 0 })
        {
            IsUserSetting = true;
            return DescribeSetting();
        }
        string policy = Environment.GetEnvironmentVariable(PolicyVariable) is { Length: > 0 } p ? p : "auto";
        bool cap = policy switch
        {
            "auto" => CpuFeatures.HasAvx512,
            "always" => true,
            "never" => false,
            _ => throw new InvalidOperationException($"{PolicyVariable} must be auto, always or never, got '{policy}'"),
        };
        if (cap && setenv(IsaVariable, IsaCap, 1) != 0)
            throw new InvalidOperationException($"could not set {IsaVariable} in the native environment (errno {Marshal.GetLastPInvokeError()})");
        if (cap) Environment.SetEnvironmentVariable(IsaVariable, IsaCap); // child processes and managed readers see it too
        return DescribeSetting();
    }

    private static string? NativeGetenv(string name) => Marshal.PtrToStringUTF8(getenv(name));

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int setenv(string name, string value, int overwrite);

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getenv(string name);
}
