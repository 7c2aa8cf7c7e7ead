using System.Text.Json.Serialization;

namespace LatentEbm.Training.Text.Evaluation;

/// <summary>
/// BLEU of greedy reconstructions (PAPER.md, "Text model", metrics): each test sentence's posterior Langevin chain from
/// z ~ N(0, sigma0² I) with the run's learning chain (<paramref name="PosteriorStepSizes"/>, noise on), then greedy decoding
/// of the chain's end point, scored against the sentence.
/// </summary>
/// <param name="Bleu">Corpus BLEU of the reconstructions against the inputs (word ids, <c>&lt;unk&gt;</c> a word).</param>
/// <param name="PosteriorStepSizes">The chain's step sizes.</param>
/// <param name="Seed">Seed of the chains' starts and noise.</param>
/// <param name="Examples">The first sentences and their reconstructions, as text.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record ReconstructionResult(BleuScore Bleu, IReadOnlyList<double> PosteriorStepSizes, int Seed, IReadOnlyList<SentencePair> Examples, double Seconds)
{
    /// <summary>Every reconstruction (word ids), in the test subset's order; not written to reports.</summary>
    [JsonIgnore]
    public IReadOnlyList<int[]> Reconstructions { get; init; } = [];
}

/// <summary>A test sentence and its reconstruction, as text.</summary>
/// <param name="Input">The test sentence.</param>
/// <param name="Reconstruction">Its greedy reconstruction.</param>
public sealed record SentencePair(string Input, string Reconstruction);
