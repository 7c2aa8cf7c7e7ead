using System.Reflection;

namespace LatentEbm.Cli.Commands;

/// <summary>What the service benchmarks record about the machine, and how they start this tool's own <c>serve</c> as a child process.</summary>
internal static class BenchHost
{
    /// <summary>
    /// This tool's <c>serve</c> command: <c>dotnet latent-ebm.dll serve</c> when run through <c>dotnet</c> (as <c>./latent-ebm</c>
    /// does), else the apphost's <c>latent-ebm serve</c>.
    /// </summary>
    public static string[] ServeCommand()
    {
        string process = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this process is unknown");
        string dll = Assembly.GetEntryAssembly()?.Location is { Length: > 0 } location ? location : Path.Combine(AppContext.BaseDirectory, "latent-ebm.dll");
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, dll, "serve"] : [process, "serve"];
    }

    /// <summary>The CPU's model name and whether it has AVX-512 (from /proc/cpuinfo), with the core count.</summary>
    public static string Cpu()
    {
        if (!File.Exists("/proc/cpuinfo")) return $"{Environment.ProcessorCount} cores";
        var lines = File.ReadLines("/proc/cpuinfo").ToList();
        string name = lines.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        bool avx512 = lines.FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(' ').Contains("avx512f") ?? false;
        return $"{Environment.ProcessorCount} cores, {name}, {(avx512 ? "AVX-512" : "no AVX-512")}";
    }

    /// <summary>The 1-minute load average, or "?".</summary>
    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
