using static TorchSharp.torch;

namespace LatentEbm.Training.Evaluation;

/// <summary>A kernel distance averaged over subsets: the mean and the standard deviation of its per-subset values.</summary>
/// <param name="Mean">Mean of the per-subset unbiased MMD² estimates (can be slightly negative: the estimator is unbiased, not non-negative).</param>
/// <param name="Std">Population standard deviation (divisor = number of subsets) of the per-subset estimates, as the reference implementation reports it.</param>
/// <param name="Subsets">Number of subsets.</param>
/// <param name="SubsetSize">Rows drawn from each feature set per subset.</param>
public sealed record KernelDistance(double Mean, double Std, int Subsets, int SubsetSize);

/// <summary>
/// The kernel inception distance (KID, Bińkowski et al. 2018, "Demystifying MMD GANs"): the unbiased
/// estimate of the squared maximum mean discrepancy between two feature sets under the cubic
/// polynomial kernel <c>k(x, y) = (xᵀy / d + 1)³</c> (d the feature width), averaged over random subsets
/// of equal size drawn without replacement from each set, in float64. Here in the feature classifier's
/// space, not Inception's: a proxy, not comparable with published KIDs. Unlike the Fréchet distance it
/// needs no full-rank covariance, so it stays meaningful with fewer samples than feature dimensions.
/// </summary>
public static class KernelInceptionDistance
{
    /// <summary>Default number of subsets (the reference implementation's).</summary>
    public const int DefaultSubsets = 10;

    /// <summary>Default subset size (the reference implementation's).</summary>
    public const int DefaultSubsetSize = 1000;

    /// <summary>The cubic polynomial kernel matrix <c>(a bᵀ / d + 1)³</c>, float64.</summary>
    /// <param name="a">Rows <c>[m, d]</c>.</param>
    /// <param name="b">Rows <c>[n, d]</c>.</param>
    /// <returns><c>[m, n]</c>.</returns>
    public static Tensor Kernel(Tensor a, Tensor b)
    {
        double d = a.shape[1];
        return (a.to(float64).mm(b.to(float64).t()) / d + 1).pow(3);
    }

    /// <summary>
    /// The unbiased MMD² estimate between the rows of <paramref name="x"/> (m rows) and of <paramref name="y"/> (n rows):
    /// <c>Σ_{i≠j} k(x_i, x_j) / (m(m-1)) + Σ_{i≠j} k(y_i, y_j) / (n(n-1)) - 2 Σ_{i,j} k(x_i, y_j) / (mn)</c>.
    /// </summary>
    /// <param name="x">Features <c>[m, d]</c>, m ≥ 2.</param>
    /// <param name="y">Features <c>[n, d]</c>, n ≥ 2.</param>
    /// <exception cref="ArgumentException">Fewer than two rows, different widths, or non-finite features.</exception>
    public static double UnbiasedMmd2(Tensor x, Tensor y)
    {
        Check(x, y);
        using var scope = NewDisposeScope();
        long m = x.shape[0], n = y.shape[0];
        var kxx = Kernel(x, x);
        var kyy = Kernel(y, y);
        var kxy = Kernel(x, y);
        double xx = (kxx.sum().item<double>() - kxx.diagonal().sum().item<double>()) / (m * (m - 1.0));
        double yy = (kyy.sum().item<double>() - kyy.diagonal().sum().item<double>()) / (n * (n - 1.0));
        double xy = kxy.sum().item<double>() / ((double)m * n);
        return xx + yy - 2 * xy;
    }

    /// <summary>
    /// KID between the rows of <paramref name="a"/> and of <paramref name="b"/>: <paramref name="subsets"/> subsets of
    /// <c>min(subsetSize, N_a, N_b)</c> rows drawn without replacement from each set (independently per subset), seeded.
    /// </summary>
    /// <param name="a">Features <c>[N_a, d]</c>, N_a ≥ 2.</param>
    /// <param name="b">Features <c>[N_b, d]</c>, N_b ≥ 2.</param>
    /// <param name="subsets">Number of subsets (≥ 1).</param>
    /// <param name="subsetSize">Rows per subset (≥ 2); fewer when a set has fewer rows.</param>
    /// <param name="seed">Seed of the subset draws.</param>
    /// <exception cref="ArgumentException">Fewer than two rows, different widths, non-finite features, or a count out of range.</exception>
    public static KernelDistance Compute(Tensor a, Tensor b, int subsets = DefaultSubsets, int subsetSize = DefaultSubsetSize, int seed = 0)
    {
        Check(a, b);
        ArgumentOutOfRangeException.ThrowIfLessThan(subsets, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(subsetSize, 2);
        int na = (int)a.shape[0], nb = (int)b.shape[0], size = Math.Min(subsetSize, Math.Min(na, nb));
        var rng = new Random(seed);
        var draws = new List<(int[] A, int[] B)>(subsets);
        for (int s = 0; s < subsets; s++)
            draws.Add((Draw(rng, na, size), Draw(rng, nb, size)));
        return Compute(a, b, draws);
    }

    /// <summary>KID over given subsets: for each pair of row-index lists, the unbiased MMD² between those rows of <paramref name="a"/> and of <paramref name="b"/>.</summary>
    /// <param name="a">Features <c>[N_a, d]</c>.</param>
    /// <param name="b">Features <c>[N_b, d]</c>.</param>
    /// <param name="subsets">Row indices into <paramref name="a"/> and <paramref name="b"/> per subset (at least two each, distinct).</param>
    /// <exception cref="ArgumentException">No subsets, an index out of range, or the checks of <see cref="UnbiasedMmd2"/>.</exception>
    public static KernelDistance Compute(Tensor a, Tensor b, IReadOnlyList<(int[] A, int[] B)> subsets)
    {
        if (subsets.Count == 0) throw new ArgumentException("KID needs at least one subset");
        var values = new double[subsets.Count];
        for (int s = 0; s < subsets.Count; s++)
        {
            using var scope = NewDisposeScope();
            values[s] = UnbiasedMmd2(a.index_select(0, Indices(subsets[s].A, a.shape[0])), b.index_select(0, Indices(subsets[s].B, b.shape[0])));
        }
        double mean = values.Average();
        double std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
        return new KernelDistance(mean, std, subsets.Count, subsets[0].A.Length);
    }

    private static void Check(Tensor a, Tensor b)
    {
        if (a.dim() != 2 || b.dim() != 2 || a.shape[1] != b.shape[1])
            throw new ArgumentException($"features must be [N, d] with the same d, got [{string.Join(", ", a.shape)}] and [{string.Join(", ", b.shape)}]");
        if (a.shape[0] < 2 || b.shape[0] < 2) throw new ArgumentException("each feature set needs at least two rows");
        if (!isfinite(a).all().item<bool>() || !isfinite(b).all().item<bool>()) throw new ArgumentException("features contain NaN or infinity");
    }

    private static Tensor Indices(int[] rows, long count)
    {
        if (rows.Any(r => r < 0 || r >= count)) throw new ArgumentException($"subset row index out of range [0, {count})");
        return tensor(rows.Select(r => (long)r).ToArray(), int64);
    }

    /// <summary><paramref name="size"/> distinct indices in [0, n), in random order (a partial Fisher-Yates shuffle).</summary>
    private static int[] Draw(Random rng, int n, int size)
    {
        int[] order = [.. Enumerable.Range(0, n)];
        for (int i = 0; i < size; i++)
        {
            int j = rng.Next(i, n);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order[..size];
    }
}
