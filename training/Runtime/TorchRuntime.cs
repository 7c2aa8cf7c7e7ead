using System.Runtime.InteropServices;
using TorchSharp;

namespace LatentEbm.Training.Runtime;

/// <summary>
/// Process-wide settings of libtorch's convolutions. On AVX-512 CPUs libtorch's float32 convolutions,
/// transposed convolutions and their gradients run by oneDNN were measured wrong by up to 7.8e-1 in the
/// input gradient (issue 10). Measured on such a CPU (AMD EPYC with avx512f/bw/vl/bf16/vnni/vp2intersect,
/// <c>latent-ebm bench convolutions</c>, <c>docs/benchmarks.md</c>): libtorch's own convolution kernels
/// (oneDNN off for convolutions, as PyTorch's <c>torch.backends.mkldnn.enabled = False</c>) agree with
/// float64 and are the fastest right setting; oneDNN capped at SSE4.1 or AVX is right but slower; capped at
/// AVX2 or AVX-512 it is wrong. On AVX2-only CPUs oneDNN agrees with float64 and is left as it is.
/// <para>
/// The policy is read from <c>LATENT_EBM_ONEDNN</c>: <c>auto</c> (default: <c>off</c> on CPUs with
/// AVX-512, <c>on</c> elsewhere), <c>off</c> (libtorch's own kernels), <c>sse41</c> (oneDNN capped with
/// <c>ONEDNN_MAX_CPU_ISA=SSE41</c>) or <c>on</c> (oneDNN as libtorch ships it). A value of
/// <c>ONEDNN_MAX_CPU_ISA</c> the user set is kept, with oneDNN on. Matrix products (the MLPs) do not go
/// through oneDNN. <see cref="ConvolutionSelfCheck"/> proves, on every CPU, that the kernels in force are right.
/// </para>
/// <para>
/// Two steps, because they have different costs: <see cref="PrepareEnvironment"/> decides the policy and
/// writes the cap into the native environment, where oneDNN reads it once when it creates its first
/// primitive (.NET's <c>Environment.SetEnvironmentVariable</c> does not reach it on Linux, so libc's
/// <c>setenv</c> is called); it does not load libtorch, so a process that never runs a convolution (the
/// service) pays nothing. <see cref="Initialize"/> also switches oneDNN off inside libtorch
/// (<c>at::Context::setUserEnabledMkldnn(false)</c>, which loads libtorch) when the policy says so; every
/// LatentEbm type that runs a convolution calls it before its first one.
/// </para>
/// </summary>
public static unsafe partial class TorchRuntime
{
    /// <summary>oneDNN's variable capping its instruction set.</summary>
    public const string IsaVariable = "ONEDNN_MAX_CPU_ISA";

    /// <summary>The cap of the <c>sse41</c> policy.</summary>
    public const string IsaCap = "SSE41";

    /// <summary>The policy: <c>auto</c> (default), <c>off</c>, <c>sse41</c> or <c>on</c>.</summary>
    public const string PolicyVariable = "LATENT_EBM_ONEDNN";

    /// <summary>The variable of the earlier policy (auto, always, never), refused with a pointer to <see cref="PolicyVariable"/>.</summary>
    public const string RetiredPolicyVariable = "LATENT_EBM_ONEDNN_CAP";

    private static readonly Lazy<OneDnnPolicy> Decided = new(Decide, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<bool> AppliedInLibtorch = new(ApplyInLibtorch, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Decides the policy and, for <c>sse41</c>, writes the cap into the native environment; does not load
    /// libtorch. Call it first thing in a process (the CLI does). Idempotent.
    /// </summary>
    /// <returns>The policy in force.</returns>
    /// <exception cref="InvalidOperationException">The policy variable holds an unknown value, the retired variable is set, or setenv failed.</exception>
    public static OneDnnPolicy PrepareEnvironment() => Decided.Value;

    /// <summary>
    /// <see cref="PrepareEnvironment"/>, then, for the <c>off</c> policy, loads libtorch and switches oneDNN
    /// off for its convolutions, reading the flag back. Call it before the first convolution; idempotent.
    /// </summary>
    /// <returns><see cref="DescribeSetting"/> once applied.</returns>
    /// <exception cref="InvalidOperationException">As <see cref="PrepareEnvironment"/>, or this libtorch lacks the switch or did not take it.</exception>
    public static string Initialize()
    {
        _ = Decided.Value;
        _ = AppliedInLibtorch.Value;
        return DescribeSetting();
    }

    /// <summary>Whether the value of <c>ONEDNN_MAX_CPU_ISA</c> in force was set by the user (before the process started).</summary>
    public static bool IsUserSetting => PrepareEnvironment() == OneDnnPolicy.UserCap;

    /// <summary>
    /// The setting in force, for messages and reports: "oneDNN off for convolutions (libtorch's own kernels)",
    /// "ONEDNN_MAX_CPU_ISA=value" or "oneDNN on, ONEDNN_MAX_CPU_ISA unset (no cap)".
    /// </summary>
    public static string DescribeSetting()
    {
        if (PrepareEnvironment() == OneDnnPolicy.Off)
            return AppliedInLibtorch.IsValueCreated ? "oneDNN off for convolutions (libtorch's own kernels)" : "oneDNN off for convolutions (not yet applied: libtorch not loaded)";
        return NativeGetenv(IsaVariable) is { Length: > 0 } value ? $"{IsaVariable}={value}" : $"oneDNN on, {IsaVariable} unset (no cap)";
    }

    private static OneDnnPolicy Decide()
    {
        if (Environment.GetEnvironmentVariable(RetiredPolicyVariable) is { Length: > 0 } retired)
            throw new InvalidOperationException($"{RetiredPolicyVariable} (here '{retired}') was replaced by {PolicyVariable}=auto|off|sse41|on; unset it");
        if (NativeGetenv(IsaVariable) is { Length: > 0 }) return OneDnnPolicy.UserCap;
        string policy = Environment.GetEnvironmentVariable(PolicyVariable) is { Length: > 0 } p ? p : "auto";
        var decided = policy switch
        {
            "auto" => CpuFeatures.HasAvx512 ? OneDnnPolicy.Off : OneDnnPolicy.On,
            "off" => OneDnnPolicy.Off,
            "sse41" => OneDnnPolicy.Sse41,
            "on" => OneDnnPolicy.On,
            _ => throw new InvalidOperationException($"{PolicyVariable} must be auto, off, sse41 or on, got '{policy}'"),
        };
        if (decided == OneDnnPolicy.Sse41)
        {
            if (setenv(IsaVariable, IsaCap, 1) != 0)
                throw new InvalidOperationException($"could not set {IsaVariable} in the native environment (errno {Marshal.GetLastPInvokeError()})");
            Environment.SetEnvironmentVariable(IsaVariable, IsaCap); // child processes and managed readers see it too
        }
        return decided;
    }

    private static bool ApplyInLibtorch()
    {
        if (Decided.Value != OneDnnPolicy.Off) return false;
        torch.InitializeDeviceType(DeviceType.CPU); // loads libtorch as TorchSharp does; the bare name below then finds that same library
        if (!NativeLibrary.TryLoad("libtorch_cpu.so", out var library)
            || !NativeLibrary.TryGetExport(library, "_ZN2at13globalContextEv", out var context)
            || !NativeLibrary.TryGetExport(library, "_ZN2at7Context20setUserEnabledMkldnnEb", out var set)
            || !NativeLibrary.TryGetExport(library, "_ZNK2at7Context17userEnabledMkldnnEv", out var get))
            throw new InvalidOperationException($"this libtorch lacks at::Context::setUserEnabledMkldnn, so oneDNN cannot be switched off: set {PolicyVariable}=sse41 and check with `latent-ebm self-check`");
        IntPtr ctx = ((delegate* unmanaged<IntPtr>)context)();
        ((delegate* unmanaged<IntPtr, byte, void>)set)(ctx, 0);
        if (((delegate* unmanaged<IntPtr, byte>)get)(ctx) != 0)
            throw new InvalidOperationException($"libtorch did not take the switch that turns oneDNN off: set {PolicyVariable}=sse41 and check with `latent-ebm self-check`");
        return true;
    }

    private static string? NativeGetenv(string name) => Marshal.PtrToStringUTF8(getenv(name));

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int setenv(string name, string value, int overwrite);

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getenv(string name);
}
