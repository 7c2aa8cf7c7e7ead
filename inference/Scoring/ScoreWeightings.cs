namespace LatentEbm.Inference.Scoring;

/// <summary>
/// The named weightings of the anomaly score and how each was decided (PAPER.md, "Anomaly detection on
/// MNIST", "What may guide a choice"). Reports label every number with its weighting's provenance, and
/// only a weighting fixed in advance may head a table.
/// </summary>
public static class ScoreWeightings
{
    /// <summary>The paper's negative log joint: 1/(2 sigma²), 1, 1/(2 sigma0²).</summary>
    public const string LogJoint = "log_joint";

    /// <summary>Later work's public code: 1, 1, 1/(2 sigma0²).</summary>
    public const string LaterWork = "later_work";

    /// <summary>Squared error and energy, each over its spread on the validation split; |z|² left out.</summary>
    public const string Standardized = "standardized";

    /// <summary>Every name, in table order.</summary>
    public static readonly string[] Names = [LogJoint, LaterWork, Standardized];

    /// <summary>Whether the weighting was fixed before any test-split number was seen.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static bool FixedInAdvance(string name) => name switch
    {
        LogJoint or LaterWork => true,
        Standardized => false,
        _ => throw Unknown(name),
    };

    /// <summary>How the weighting was decided, in a sentence a report can quote.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static string Provenance(string name) => name switch
    {
        LogJoint => "fixed in advance: the paper's negative log joint (PAPER.md)",
        LaterWork => "fixed in advance: the weights of later work's public code (PAPER.md)",
        Standardized => "guided by test numbers: its composition (squared error and energy, |z|² left out) was chosen after test-split PR-AUCs of digits 1 and 4 had been seen; its two scales come from the validation split",
        _ => throw Unknown(name),
    };

    /// <summary>
    /// The fixed-formula weighting (<see cref="LogJoint"/> or <see cref="LaterWork"/>) whose weights at
    /// <paramref name="sigma"/> and <paramref name="sigma0"/> equal <paramref name="weights"/> to 1e-12,
    /// or null (a calibrated weighting cannot be recognised from its weights).
    /// </summary>
    public static string? Recognise(AnomalyScoreWeights weights, double sigma, double sigma0)
    {
        static bool Same(AnomalyScoreWeights a, AnomalyScoreWeights b) =>
            Math.Abs(a.Reconstruction - b.Reconstruction) <= 1e-12 * Math.Abs(b.Reconstruction) && Math.Abs(a.Energy - b.Energy) <= 1e-12
            && Math.Abs(a.LatentNorm - b.LatentNorm) <= 1e-12 * Math.Abs(b.LatentNorm);
        return Same(weights, AnomalyScoreWeights.LogJoint(sigma, sigma0)) ? LogJoint : Same(weights, AnomalyScoreWeights.LaterWork(sigma0)) ? LaterWork : null;
    }

    private static ArgumentException Unknown(string name) => new($"score weighting must be one of {string.Join(", ", Names)}, got '{name}'");
}
