using System.Runtime.InteropServices;

namespace LatentEbm.Training.Runtime;

/// <summary>
/// Process-wide settings of libtorch that must hold before its first use. On AVX-512 CPUs libtorch's
/// float32 convolutions, transposed convolutions and their gradients (oneDNN kernels) were measured
/// wrong by up to 6.7e-2 in the forward pass and 1.45 in the input gradient, while oneDNN capped to
/// SSE4.1 agrees with float64 to 7e-7 (issue 10). <see cref="Initialize"/> sets that cap,
/// <c>ONEDNN_MAX_CPU_ISA=SSE41</c>, in the native environment, where oneDNN reads it when it creates
/// its first primitive (.NET's <c>Environment.SetEnvironmentVariable</c> does not reach the native
/// environment on Linux, so it calls libc's <c>setenv</c>). A value the user set is kept. Matrix
/// products (the MLPs) do not go through oneDNN and are unaffected. <see cref="ConvolutionSelfCheck"/>
/// proves the setting took effect.
/// </summary>
public static partial class TorchRuntime
{
    /// <summary>oneDNN's variable capping its instruction set.</summary>
    public const string IsaVariable = "ONEDNN_MAX_CPU_ISA";

    /// <summary>The cap LatentEbm applies: SSE4.1, the widest that was measured right on AVX-512 CPUs.</summary>
    public const string IsaCap = "SSE41";

    private static readonly Lazy<string> Applied = new(Apply, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Sets <c>ONEDNN_MAX_CPU_ISA=SSE41</c> in the native environment unless it is already set; call it
    /// before libtorch's first convolution (every entry point does, first thing). Idempotent.
    /// </summary>
    /// <returns>The value in force, as the native environment now holds it.</returns>
    public static string Initialize() => Applied.Value;

    /// <summary>Whether the value in force was set by the user (before the process started), not by <see cref="Initialize"/>.</summary>
    public static bool IsUserSetting { get; private set; }

    /// <summary>"ONEDNN_MAX_CPU_ISA=value" as the native environment holds it ("unset" when it is not).</summary>
    public static string DescribeSetting() => $"{IsaVariable}={NativeGetenv(IsaVariable) ?? "unset"}";

    private static string Apply()
    {
        if (NativeGetenv(IsaVariable) is { Length: > 0 } own)
        {
            IsUserSetting = true;
            return own;
        }
        if (setenv(IsaVariable, IsaCap, 1) != 0)
            throw new InvalidOperationException($"could not set {IsaVariable} in the native environment (errno {Marshal.GetLastPInvokeError()})");
        Environment.SetEnvironmentVariable(IsaVariable, IsaCap); // child processes and managed readers see it too
        return NativeGetenv(IsaVariable)!;
    }

    private static string? NativeGetenv(string name) => Marshal.PtrToStringUTF8(getenv(name));

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int setenv(string name, string value, int overwrite);

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getenv(string name);
}
