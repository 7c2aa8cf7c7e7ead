using System.Text.Json.Serialization;

namespace LatentEbm.Training.Text.Evaluation;

/// <summary>
/// The language-model baseline of the text report: an <see cref="LstmLanguageModel"/> trained on a run's real training
/// sentences, scored exactly (no sampling) on the test subset the latent models are scored on and on the whole test split.
/// The same model gives the latent models' forward perplexity (their generated sentences under it).
/// </summary>
/// <param name="Training">The training split it learned from, as read with the run's vocabulary.</param>
/// <param name="VocabularySize">V, the specials included.</param>
/// <param name="TestSubset">NLL and perplexity on the test subset, and its training facts and wall times.</param>
/// <param name="TestSplit">NLL and perplexity on every kept test sentence (the reference for reverse perplexity).</param>
public sealed record TextLanguageModelBaseline(TextSplitFacts Training, int VocabularySize, LanguageModelResult TestSubset, LanguageModelResult TestSplit)
{
    /// <summary>The trained model; not written to reports.</summary>
    [JsonIgnore]
    public LstmLanguageModel? Model { get; init; }
}
