using LatentEbm.Inference.Scoring;

namespace LatentEbm.Training.Evaluation;

/// <summary>
/// The three terms of the anomaly score per image, at that image's test-time posterior sample z
/// (PAPER.md, "Anomaly detection on MNIST"): summed squared error |x - g(z)|^2, negative energy
/// f(z), and squared latent norm |z|^2. Kept apart so that any weighting can be scored without
/// re-running the chains.
/// </summary>
/// <param name="SquaredError">|x - g(z)|^2 per image, summed over pixels ([-1, 1] scale).</param>
/// <param name="NegativeEnergy">f_alpha(z) per image.</param>
/// <param name="LatentNormSquared">|z|^2 per image.</param>
public sealed record ScoreTerms(double[] SquaredError, double[] NegativeEnergy, double[] LatentNormSquared)
{
    /// <summary>
    /// score_i = w.Reconstruction * SquaredError_i - w.Energy * NegativeEnergy_i + w.LatentNorm * LatentNormSquared_i;
    /// higher = more anomalous.
    /// </summary>
    public double[] Combine(AnomalyScoreWeights weights)
    {
        weights.Validate();
        var score = new double[SquaredError.Length];
        for (int i = 0; i < score.Length; i++)
            score[i] = weights.Reconstruction * SquaredError[i] - weights.Energy * NegativeEnergy[i] + weights.LatentNorm * LatentNormSquared[i];
        return score;
    }
}
