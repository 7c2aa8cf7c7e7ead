namespace LatentEbm.Training.Text.Evaluation;

/// <summary>
/// Size and training of the evaluation language model (<see cref="LstmLanguageModel"/>), used for forward and reverse
/// perplexity (PAPER.md, "Text model", metrics) and as a text anomaly baseline. The defaults keep it CPU-cheap:
/// E = H = 128 with PTB's V = 10,004 makes about 2.7 M parameters (embedding 1.28 M, LSTM 0.13 M, read-out 1.29 M),
/// the read-out dominating the cost: about 8.5 MFLOP per token forward and backward, so an epoch over 40,000 sentences
/// of about 22 tokens is roughly 7.5 TFLOP (minutes on two CPU cores).
/// </summary>
public sealed record LanguageModelSettings
{
    /// <summary>Word embedding size E.</summary>
    public int EmbeddingSize { get; init; } = 128;

    /// <summary>LSTM units H (one layer).</summary>
    public int HiddenSize { get; init; } = 128;

    /// <summary>Dropout on the embeddings and on the hidden states before the read-out, in [0, 1); training only.</summary>
    public double Dropout { get; init; } = 0.3;

    /// <summary>Passes over the training sentences.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Sentences per minibatch.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Adam learning rate (betas 0.9, 0.999).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>The gradient's global norm is clipped to this.</summary>
    public double GradientClipNorm { get; init; } = 5.0;

    /// <summary>Seed of initialisation, minibatch order and dropout.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting out of its range, named.</exception>
    public void Validate()
    {
        void Positive(double v, string name) { if (!(v > 0) || !double.IsFinite(v)) throw new ArgumentException($"{name} must be positive and finite, got {v}"); }
        Positive(EmbeddingSize, nameof(EmbeddingSize)); Positive(HiddenSize, nameof(HiddenSize)); Positive(BatchSize, nameof(BatchSize));
        Positive(LearningRate, nameof(LearningRate)); Positive(GradientClipNorm, nameof(GradientClipNorm));
        if (Epochs < 0) throw new ArgumentException($"{nameof(Epochs)} must be at least 0, got {Epochs}");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"{nameof(Dropout)} must lie in [0, 1), got {Dropout}");
    }
}
