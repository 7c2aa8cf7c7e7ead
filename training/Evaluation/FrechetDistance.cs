using static TorchSharp.torch;

namespace LatentEbm.Training.Evaluation;

/// <summary>
/// The Fréchet distance between two Gaussians fitted to feature sets (the formula of FID, Heusel et
/// al. 2017): <c>|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a^{1/2} S_b S_a^{1/2})^{1/2})</c>, in float64.
/// The matrix square roots come from symmetric eigendecompositions (negative eigenvalues from
/// rounding are clipped to 0), so the trace term is real.
/// </summary>
public static class FrechetDistance
{
    /// <summary>The distance between the rows of <paramref name="a"/> and of <paramref name="b"/>.</summary>
    /// <param name="a">Features <c>[N_a, d]</c>, N_a ≥ 2.</param>
    /// <param name="b">Features <c>[N_b, d]</c>, N_b ≥ 2.</param>
    /// <returns>The distance (≥ 0, in squared feature units).</returns>
    /// <exception cref="ArgumentException">Fewer than two rows, different widths, or non-finite features.</exception>
    public static double Compute(Tensor a, Tensor b)
    {
        if (a.dim() != 2 || b.dim() != 2 || a.shape[1] != b.shape[1])
            throw new ArgumentException($"features must be [N, d] with the same d, got [{string.Join(", ", a.shape)}] and [{string.Join(", ", b.shape)}]");
        if (a.shape[0] < 2 || b.shape[0] < 2) throw new ArgumentException("each feature set needs at least two rows");
        using var scope = NewDisposeScope();
        var x = a.to(float64);
        var y = b.to(float64);
        if (!isfinite(x).all().item<bool>() || !isfinite(y).all().item<bool>()) throw new ArgumentException("features contain NaN or infinity");
        var (muA, covA) = Moments(x);
        var (muB, covB) = Moments(y);
        var rootA = SymmetricSqrt(covA);
        var middle = rootA.mm(covB).mm(rootA);
        middle = (middle + middle.t()) * 0.5;
        double traceRoot = linalg.eigvalsh(middle).clamp_min(0).sqrt().sum().item<double>();
        double meanTerm = (muA - muB).square().sum().item<double>();
        return Math.Max(0, meanTerm + covA.trace().item<double>() + covB.trace().item<double>() - 2 * traceRoot);
    }

    private static (Tensor Mean, Tensor Covariance) Moments(Tensor x)
    {
        var mean = x.mean([0]);
        var centred = x - mean;
        return (mean, centred.t().mm(centred) / (x.shape[0] - 1));
    }

    private static Tensor SymmetricSqrt(Tensor s)
    {
        var (values, vectors) = linalg.eigh(s);
        return vectors.mm(diag(values.clamp_min(0).sqrt())).mm(vectors.t());
    }
}
