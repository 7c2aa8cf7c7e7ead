using System.Text.Json;
using LatentEbm.Data.IO;
using LatentEbm.Inference.Scoring;
using LatentEbm.Training.Configuration;

namespace LatentEbm.Training.Evaluation;

/// <summary>
/// The spread of the anomaly score's terms over a run's validation split (normal images held out of
/// training, never test images), written as <c>score_calibration.json</c> in the run folder. It
/// defines the <c>standardized</c> score: squared error / sd(squared error) + E / sd(E), so that
/// reconstruction and the learned prior's energy count equally whatever their units. PAPER.md shows
/// each term wins on some digit (energy alone 0.445 against 0.287 for reconstruction on digit 1,
/// the reverse on digit 4); |z|^2 is left out because adding it to E lowered E's PR-AUC on both
/// digits there (0.420 against 0.445, 0.295 against 0.504). The validation split holds no
/// anomalies, so it sets the scales only; the composition was fixed from those numbers.
/// </summary>
/// <param name="ValidationImages">Images the spreads were measured on.</param>
/// <param name="SquaredErrorStd">Standard deviation of |x - g(z)|^2 (summed over pixels, [-1, 1] scale).</param>
/// <param name="EnergyStd">Standard deviation of E = -f(z) (0 for a Gaussian prior).</param>
/// <param name="LatentNormStd">Standard deviation of |z|^2 (recorded, not used).</param>
/// <param name="Epoch">Epochs the model had when measured (null if unknown); the exporter refuses a calibration of another epoch than the checkpoint it exports.</param>
/// <param name="SquaredErrorScale">Mean |squared error| over the validation images, the values' scale (null in files written before it was recorded).</param>
/// <param name="EnergyScale">Mean |E| over the validation images (null in older files).</param>
/// <remarks>
/// A spread is usable only when it is at least <see cref="MinRelativeSpread"/> times its values' scale
/// (the scale counted as at least 1): the terms are computed in float32, whose resolution is
/// 2^-23 ≈ 1.2e-7 of a value, so a spread below 1e-6 of the values (about 8 float32 steps) is rounding
/// noise, not variation between images, and its inverse would inflate that noise by a factor of a
/// million or more against the other term. The floor of 1 on the scale holds because both terms sum
/// O(1) quantities on the [-1, 1] pixel scale; it is also the scale assumed for older files.
/// An energy spread of exactly 0 is the Gaussian prior (f = 0) and gives the energy weight 0.
/// </remarks>
public sealed record ScoreCalibration(int ValidationImages, double SquaredErrorStd, double EnergyStd, double LatentNormStd, int? Epoch = null,
    double? SquaredErrorScale = null, double? EnergyScale = null)
{
    /// <summary>File name in the run folder.</summary>
    public const string FileName = "score_calibration.json";

    /// <summary>The smallest usable spread relative to the values' scale (see the remarks).</summary>
    public const double MinRelativeSpread = 1e-6;

    /// <summary>Measures the spreads of <paramref name="validation"/>'s terms.</summary>
    /// <exception cref="ArgumentException">Fewer than two images, or a non-finite term.</exception>
    public static ScoreCalibration Measure(ScoreTerms validation, int? epoch = null)
    {
        if (validation.SquaredError.Length < 2) throw new ArgumentException("calibration needs at least two validation images");
        return new ScoreCalibration(validation.SquaredError.Length, Std(validation.SquaredError),
            Std(validation.NegativeEnergy), Std(validation.LatentNormSquared), epoch,
            validation.SquaredError.Average(Math.Abs), validation.NegativeEnergy.Average(Math.Abs));
    }

    /// <summary>1/sd(squared error), 1/sd(E) (0 when E does not vary at all, as for f = 0), 0 for |z|^2.</summary>
    /// <exception cref="ArgumentException">A spread is unusable: not finite, negative, or below <see cref="MinRelativeSpread"/> of its values' scale (the squared error must vary).</exception>
    public AnomalyScoreWeights StandardizedWeights()
    {
        if (Problem() is string problem) throw new ArgumentException($"cannot standardise the score: {problem}");
        return new AnomalyScoreWeights(1 / SquaredErrorStd, EnergyStd > 0 ? 1 / EnergyStd : 0, 0);
    }

    /// <summary>What makes these spreads unusable (see the remarks), or null.</summary>
    private string? Problem()
    {
        static double Floor(double? scale) => MinRelativeSpread * Math.Max(1, scale ?? 1);
        if (ValidationImages < 2) return $"validation_images {ValidationImages} must be at least 2";
        if (!double.IsFinite(SquaredErrorStd) || !(SquaredErrorStd >= Floor(SquaredErrorScale)))
            return $"squared_error_std {SquaredErrorStd} must be finite and at least {Floor(SquaredErrorScale):G3} ({MinRelativeSpread:G1} of the values' scale {SquaredErrorScale?.ToString("G4") ?? "unrecorded, taken as 1"}): the validation squared error does not vary beyond float32 rounding";
        if (!double.IsFinite(EnergyStd) || !(EnergyStd == 0 || EnergyStd >= Floor(EnergyScale)))
            return $"energy_std {EnergyStd} must be finite and either 0 (Gaussian prior) or at least {Floor(EnergyScale):G3} ({MinRelativeSpread:G1} of the values' scale {EnergyScale?.ToString("G4") ?? "unrecorded, taken as 1"}); a smaller spread is float32 rounding and would weigh the energy {(EnergyStd > 0 ? (1 / EnergyStd).ToString("G3") : "absurdly")}";
        return null;
    }

    /// <summary>Writes <c>score_calibration.json</c> into <paramref name="runFolder"/> atomically.</summary>
    public void Write(string runFolder) =>
        AtomicFile.WriteAllText(Path.Combine(runFolder, FileName), JsonSerializer.Serialize(this, TrainingConfig.JsonOptions));

    /// <summary>Reads the run's calibration, or null when it has none.</summary>
    /// <exception cref="IOException">The file is unreadable or malformed, or a spread is unusable (see the remarks); the message names the file.</exception>
    public static ScoreCalibration? Read(string runFolder)
    {
        string path = Path.Combine(runFolder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var calibration = JsonSerializer.Deserialize<ScoreCalibration>(File.ReadAllText(path), TrainingConfig.JsonOptions)
                              ?? throw new JsonException("null");
            if (calibration.Problem() is string problem) throw new JsonException(problem);
            return calibration;
        }
        catch (JsonException e)
        {
            throw new IOException($"{path}: malformed score calibration ({e.Message})", e);
        }
    }

    private static double Std(double[] values)
    {
        double mean = values.Average(), sum = 0;
        foreach (var v in values)
        {
            if (!double.IsFinite(v)) throw new ArgumentException("a validation score term is not finite");
            sum += (v - mean) * (v - mean);
        }
        return Math.Sqrt(sum / (values.Length - 1));
    }
}
