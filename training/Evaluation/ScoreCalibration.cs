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
public sealed record ScoreCalibration(int ValidationImages, double SquaredErrorStd, double EnergyStd, double LatentNormStd, int? Epoch = null)
{
    /// <summary>File name in the run folder.</summary>
    public const string FileName = "score_calibration.json";

    /// <summary>Measures the spreads of <paramref name="validation"/>'s terms.</summary>
    /// <exception cref="ArgumentException">Fewer than two images, or a non-finite term.</exception>
    public static ScoreCalibration Measure(ScoreTerms validation, int? epoch = null)
    {
        if (validation.SquaredError.Length < 2) throw new ArgumentException("calibration needs at least two validation images");
        return new ScoreCalibration(validation.SquaredError.Length, Std(validation.SquaredError),
            Std(validation.NegativeEnergy), Std(validation.LatentNormSquared), epoch);
    }

    /// <summary>1/sd(squared error), 1/sd(E) (0 when E does not vary, as for f = 0), 0 for |z|^2.</summary>
    /// <exception cref="ArgumentException">The squared error does not vary.</exception>
    public AnomalyScoreWeights StandardizedWeights()
    {
        if (!(SquaredErrorStd > 0)) throw new ArgumentException($"the validation squared error does not vary (sd {SquaredErrorStd}); cannot standardise");
        return new AnomalyScoreWeights(1 / SquaredErrorStd, EnergyStd > 1e-12 ? 1 / EnergyStd : 0, 0);
    }

    /// <summary>Writes <c>score_calibration.json</c> into <paramref name="runFolder"/> atomically.</summary>
    public void Write(string runFolder) =>
        AtomicFile.WriteAllText(Path.Combine(runFolder, FileName), JsonSerializer.Serialize(this, TrainingConfig.JsonOptions));

    /// <summary>Reads the run's calibration, or null when it has none.</summary>
    /// <exception cref="IOException">The file is unreadable or malformed (the message names it).</exception>
    public static ScoreCalibration? Read(string runFolder)
    {
        string path = Path.Combine(runFolder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var calibration = JsonSerializer.Deserialize<ScoreCalibration>(File.ReadAllText(path), TrainingConfig.JsonOptions)
                              ?? throw new JsonException("null");
            if (calibration.ValidationImages < 2 || !(calibration.SquaredErrorStd > 0) || !double.IsFinite(calibration.SquaredErrorStd)
                || !(calibration.EnergyStd >= 0) || !double.IsFinite(calibration.EnergyStd))
                throw new JsonException($"needs validation_images ≥ 2, squared_error_std > 0 and energy_std ≥ 0, all finite; got {calibration.ValidationImages}, {calibration.SquaredErrorStd}, {calibration.EnergyStd}");
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
