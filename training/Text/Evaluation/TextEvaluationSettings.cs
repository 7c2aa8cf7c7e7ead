namespace LatentEbm.Training.Text.Evaluation;

/// <summary>
/// Settings of the text evaluation (<see cref="TextEvaluation"/>; PAPER.md, "Text model", metrics), fixed before any test
/// sentence is read: the test subset's rule and size, the number of generated sentences, the seed every random draw
/// comes from, the importance-sampling settings and the evaluation language model's settings.
/// </summary>
public sealed record TextEvaluationSettings
{
    /// <summary>The rule that picks the test subset, as reports state it.</summary>
    public const string SubsetRule = "the first N test sentences in file order, after sentences longer than the run's max words are counted and skipped";

    /// <summary>
    /// N: test sentences scored by importance sampling and reconstructed (the first N kept ones of the file; all when fewer).
    /// Default 30, from the measured cost at PAPER.md's sizes (V = 7,953, N = 500 samples from C = 8 chains of K1 = 20): about
    /// 9 s of one CPU thread per PTB test sentence for the importance sampling and 0.4 s for the reconstruction, so 30
    /// sentences take about 5 minutes per run.
    /// </summary>
    public int TestSentences { get; init; } = 30;

    /// <summary>M: sentences generated from the prior; null = as many as the run's training sentences.</summary>
    public int? GeneratedSentences { get; init; }

    /// <summary>Seed of every draw: the importance sampler's and the language models' seeds are this, the reconstruction and generation generators this + 1 and + 2.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Softmax temperature of the sampled decoding of generated sentences (1: the model's own distribution).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Prior chains (and sampled decodings) per batch when generating; the draws depend on it.</summary>
    public int GenerationBatchSize { get; init; } = 500;

    /// <summary>Generated sentences and reconstructions kept as examples in the report.</summary>
    public int Examples { get; init; } = 5;

    /// <summary>
    /// The importance sampler's settings except its seed (set from <see cref="Seed"/>) and posterior chain (set from the
    /// run's learning chain): N samples, tau, C chains, M samples of log Z(alpha), batch sizes.
    /// </summary>
    public ImportanceSamplingSettings ImportanceSampling { get; init; } = new();

    /// <summary>The evaluation language models' size and training, except the seed (set from <see cref="Seed"/>).</summary>
    public LanguageModelSettings LanguageModel { get; init; } = new();

    /// <summary>The importance sampler's settings for a run: the learning chain's step sizes and this evaluation's seed.</summary>
    public ImportanceSamplingSettings ImportanceSamplingFor(TextRunConfig run) =>
        ImportanceSampling with { Seed = Seed, PosteriorStepSizes = run.Model.PosteriorStepSizes() };

    /// <summary>The language models' settings with this evaluation's seed.</summary>
    public LanguageModelSettings SeededLanguageModel() => LanguageModel with { Seed = Seed };

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting out of its range, named.</exception>
    public void Validate()
    {
        if (TestSentences < 1) throw new ArgumentException($"{nameof(TestSentences)} must be at least 1, got {TestSentences}");
        if (GeneratedSentences is < 1) throw new ArgumentException($"{nameof(GeneratedSentences)} must be at least 1, got {GeneratedSentences}");
        if (!(Temperature > 0) || !double.IsFinite(Temperature)) throw new ArgumentException($"{nameof(Temperature)} must be positive and finite, got {Temperature}");
        if (GenerationBatchSize < 1) throw new ArgumentException($"{nameof(GenerationBatchSize)} must be at least 1, got {GenerationBatchSize}");
        if (Examples < 0) throw new ArgumentException($"{nameof(Examples)} must be at least 0, got {Examples}");
        ImportanceSampling.Validate();
        LanguageModel.Validate();
    }
}
