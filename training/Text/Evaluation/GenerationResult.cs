using System.Text.Json.Serialization;

namespace LatentEbm.Training.Text.Evaluation;

/// <summary>
/// Sentences generated from the model (PAPER.md, "Text model"): prior Langevin chains (the run's K0 steps of s0) from
/// z ~ N(0, sigma0² I), then sampled decoding at <paramref name="Temperature"/> until <c>&lt;/s&gt;</c> or the run's max words.
/// </summary>
/// <param name="Sentences">M, the sentences generated.</param>
/// <param name="Rule">How M was chosen, in words.</param>
/// <param name="Temperature">Softmax temperature of the decoding.</param>
/// <param name="PriorSteps">K0.</param>
/// <param name="PriorStepSize">s0.</param>
/// <param name="Seed">Seed of the chains and the decoding draws.</param>
/// <param name="BatchSize">Chains per batch (the draws depend on it).</param>
/// <param name="MeanWords">Mean words per generated sentence.</param>
/// <param name="Empty">Generated sentences of no word (<c>&lt;/s&gt;</c> first).</param>
/// <param name="AtMaxWords">Generated sentences of the run's max words (cut there unless <c>&lt;/s&gt;</c> came next).</param>
/// <param name="Examples">The first generated sentences, as text.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record GenerationResult(int Sentences, string Rule, double Temperature, int PriorSteps, double PriorStepSize, int Seed, int BatchSize,
    double MeanWords, int Empty, int AtMaxWords, IReadOnlyList<string> Examples, double Seconds)
{
    /// <summary>Every generated sentence (word ids); not written to reports.</summary>
    [JsonIgnore]
    public IReadOnlyList<int[]> Generated { get; init; } = [];
}
