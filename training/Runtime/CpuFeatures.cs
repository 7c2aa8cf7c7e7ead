namespace LatentEbm.Training.Runtime;

/// <summary>The processor's name and its vector-instruction features, for messages about native numerics.</summary>
public static class CpuFeatures
{
    private static readonly Lazy<string> Text = new(Read);

    /// <summary>Whether the processor has AVX-512 Foundation.</summary>
    public static bool HasAvx512 => System.Runtime.Intrinsics.X86.Avx512F.IsSupported;

    /// <summary>"model name (feature feature ...)": the SIMD features of /proc/cpuinfo (sse4, avx, fma, amx families).</summary>
    public static string Describe() => Text.Value;

    private static string Read()
    {
        try
        {
            var lines = File.ReadLines("/proc/cpuinfo").Take(64).ToList();
            string model = lines.FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
            var flags = (lines.FirstOrDefault(l => l.StartsWith("flags"))?.Split(':', 2)[1] ?? "")
                .Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Where(f => f.StartsWith("sse4") || f.StartsWith("avx") || f.StartsWith("amx") || f == "fma");
            return $"{model} ({string.Join(' ', flags)})";
        }
        catch (IOException)
        {
            return $"unknown CPU (AVX-512F {(HasAvx512 ? "yes" : "no")}, AVX2 {(System.Runtime.Intrinsics.X86.Avx2.IsSupported ? "yes" : "no")})";
        }
    }
}
