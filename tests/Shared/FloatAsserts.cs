namespace LatentEbm.Tests.Shared;

/// <summary>Comparisons of float arrays shared by the test projects.</summary>
internal static class FloatAsserts
{
    /// <summary>Every element within 1e-5 of the largest magnitude of <paramref name="expected"/> (float32 paths of the same computation).</summary>
    public static void AssertClose(float[] expected, float[] actual)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1e-6, expected.Max(v => Math.Abs(v)));
        for (int i = 0; i < expected.Length; i++)
            Xunit.Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * scale, $"index {i}: {expected[i]} vs {actual[i]}");
    }

    /// <summary>Whether some element differs by more than 1e-3 relative (another computation, not rounding).</summary>
    public static bool Differ(float[] a, float[] b) => a.Zip(b).Any(p => Math.Abs(p.First - p.Second) > 1e-3 * Math.Max(1, Math.Abs(p.First)));
}
