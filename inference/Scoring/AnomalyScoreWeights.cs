namespace LatentEbm.Inference.Scoring;

/// <summary>
/// Weights of the three terms of the anomaly score at a posterior sample z of an image x
/// (higher = more anomalous):
/// <c>score = Reconstruction * |x - g(z)|^2 - Energy * f(z) + LatentNorm * |z|^2</c>,
/// where f is the prior's negative energy and |.|^2 sums over all pixels or latent dimensions.
/// </summary>
/// <remarks>
/// PAPER.md, "Anomaly detection on MNIST": the paper's score is the negative unnormalised log joint
/// <c>|x - g(z)|^2 / (2 sigma^2) - f(z) + |z|^2 / (2 sigma0^2)</c> (<see cref="LogJoint"/>); later
/// work's public code weighs the squared error by 1 instead (<see cref="LaterWork"/>).
/// Weights must be finite and non-negative.
/// </remarks>
/// <param name="Reconstruction">Weight of the summed squared reconstruction error, per squared pixel unit ([-1, 1] scale).</param>
/// <param name="Energy">Weight of the energy E = -f.</param>
/// <param name="LatentNorm">Weight of the squared norm of z (the Gaussian reference prior's term).</param>
public sealed record AnomalyScoreWeights(double Reconstruction, double Energy, double LatentNorm)
{
    /// <summary>The negative log joint of PAPER.md: 1/(2 sigma^2), 1, 1/(2 sigma0^2).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A sigma is not positive.</exception>
    public static AnomalyScoreWeights LogJoint(double sigma, double sigma0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sigma);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sigma0);
        return new(1 / (2 * sigma * sigma), 1, 1 / (2 * sigma0 * sigma0));
    }

    /// <summary>Later work's weights: squared error by 1, energy by 1, |z|^2 by 1/(2 sigma0^2).</summary>
    public static AnomalyScoreWeights LaterWork(double sigma0) => new(1, 1, 1 / (2 * sigma0 * sigma0));

    /// <summary>Throws when a weight is negative or not finite, or all are zero.</summary>
    /// <exception cref="ArgumentException">The weights are unusable; the message names the weight.</exception>
    public void Validate()
    {
        foreach (var (name, value) in new[] { ("Reconstruction", Reconstruction), ("Energy", Energy), ("LatentNorm", LatentNorm) })
            if (!double.IsFinite(value) || value < 0)
                throw new ArgumentException($"anomaly score weight {name} must be finite and non-negative, got {value}");
        if (Reconstruction == 0 && Energy == 0 && LatentNorm == 0)
            throw new ArgumentException("anomaly score weights are all zero");
    }
}
