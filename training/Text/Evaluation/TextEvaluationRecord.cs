using System.Text.Json;
using System.Text.Json.Serialization;
using LatentEbm.Training.Configuration;

namespace LatentEbm.Training.Text.Evaluation;

/// <summary>
/// The facts of <c>latent-ebm text evaluate</c>, written as <c>text.json</c>: the command, the machine, the settings, the
/// language-model baselines and every run's metrics. The text report is made from these alone.
/// </summary>
/// <param name="Command">The command line that made it.</param>
/// <param name="CreatedUtc">When it was made (UTC, ISO 8601).</param>
/// <param name="Machine">The machine: processor count and operating system.</param>
/// <param name="Threads">Torch CPU threads (results depend on it through float summation order).</param>
/// <param name="SubsetRule">How the test subset was chosen.</param>
/// <param name="Settings">The evaluation's settings as given.</param>
/// <param name="LanguageModelBaselines">One per distinct training split and vocabulary among the runs.</param>
/// <param name="Runs">Every run's metrics, in the order given.</param>
/// <param name="WallSeconds">Wall time of the whole evaluation.</param>
public sealed record TextEvaluationRecord(string Command, string CreatedUtc, string Machine, int Threads, string SubsetRule, TextEvaluationSettings Settings,
    IReadOnlyList<TextLanguageModelBaseline> LanguageModelBaselines, IReadOnlyList<TextRunEvaluation> Runs, double WallSeconds)
{
    /// <summary>snake_case, indented, NaN and infinities written as strings.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(TrainingConfig.JsonOptions)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>This record as <c>text.json</c>.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
