using System.Runtime.CompilerServices;
using LatentEbm.Training.Runtime;
using TorchSharp;

// Trainers seed torch's global generator: tests in this assembly run one at a time, on one thread.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace LatentEbm.Training.Tests;

/// <summary>One torch thread for every test (two collapse when another process is busy).</summary>
internal static class TorchTestSetup
{
    private static readonly Lazy<bool> Once = new(() => { torch.set_num_threads(1); return true; });

    public static void Init() => _ = Once.Value;

    /// <summary>Before any test touches libtorch: the oneDNN setting every entry point applies (TorchRuntime).</summary>
    [ModuleInitializer]
    internal static void ApplyTorchRuntimeSettings() => TorchRuntime.Initialize();
}
