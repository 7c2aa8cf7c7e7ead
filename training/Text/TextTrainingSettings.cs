namespace LatentEbm.Training.Text;

/// <summary>
/// Settings of the text latent EBM and its learning (PAPER.md, "Text model"; defaults from the same group's public
/// text code where PAPER.md gives them: LSTM 256, embedding 256, dropout 0.5, nz 32, prior MLP 200-200-1, prior
/// chain 40 steps of 0.5, posterior chain 20 steps decreasing linearly from 0.8 to 0.05).
/// </summary>
public sealed record TextTrainingSettings
{
    /// <summary>Latent size nz.</summary>
    public int Nz { get; init; } = 32;

    /// <summary>Word embedding size E.</summary>
    public int EmbeddingSize { get; init; } = 256;

    /// <summary>LSTM units H.</summary>
    public int HiddenSize { get; init; } = 256;

    /// <summary>Decoder dropout, in [0, 1).</summary>
    public double Dropout { get; init; } = 0.5;

    /// <summary>Hidden widths of the prior MLP f (nz first and 1 last are added).</summary>
    public int[] PriorHidden { get; init; } = [200, 200];

    /// <summary>The reference prior's sigma0.</summary>
    public double Sigma0 { get; init; } = 1.0;

    /// <summary>True for the Gaussian-prior baseline (f = 0, never updated), as for images.</summary>
    public bool GaussianPrior { get; init; }

    /// <summary>Sentences per minibatch.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Prior chain steps K0.</summary>
    public int PriorSteps { get; init; } = 40;

    /// <summary>Prior chain step size s0.</summary>
    public double PriorStepSize { get; init; } = 0.5;

    /// <summary>Posterior chain steps K1.</summary>
    public int PosteriorSteps { get; init; } = 20;

    /// <summary>The posterior chain's first step size.</summary>
    public double PosteriorStepSizeStart { get; init; } = 0.8;

    /// <summary>The posterior chain's last step size (linear in between).</summary>
    public double PosteriorStepSizeEnd { get; init; } = 0.05;

    /// <summary>Adam learning rate of the decoder.</summary>
    public double DecoderLearningRate { get; init; } = 1e-3;

    /// <summary>Adam learning rate of the prior f.</summary>
    public double PriorLearningRate { get; init; } = 1e-4;

    /// <summary>The decoder's gradient norm is clipped to this (LSTM practice).</summary>
    public double GradientClipNorm { get; init; } = 5.0;

    /// <summary>Seed of initialisation, minibatch order and chain noise.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The posterior chain's step sizes s_0 ... s_{K1-1}, linear from start to end.</summary>
    public double[] PosteriorStepSizes() => PosteriorSteps == 1
        ? [PosteriorStepSizeStart]
        : [.. Enumerable.Range(0, PosteriorSteps).Select(k => (double)k / (PosteriorSteps - 1)).Select(t => PosteriorStepSizeStart * (1 - t) + PosteriorStepSizeEnd * t)];

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting out of its range, named.</exception>
    public void Validate()
    {
        void Positive(double v, string name) { if (!(v > 0) || !double.IsFinite(v)) throw new ArgumentException($"{name} must be positive and finite, got {v}"); }
        Positive(Nz, nameof(Nz)); Positive(EmbeddingSize, nameof(EmbeddingSize)); Positive(HiddenSize, nameof(HiddenSize));
        Positive(Sigma0, nameof(Sigma0)); Positive(BatchSize, nameof(BatchSize)); Positive(PriorStepSize, nameof(PriorStepSize));
        Positive(PosteriorStepSizeStart, nameof(PosteriorStepSizeStart)); Positive(PosteriorStepSizeEnd, nameof(PosteriorStepSizeEnd));
        Positive(DecoderLearningRate, nameof(DecoderLearningRate)); Positive(PriorLearningRate, nameof(PriorLearningRate));
        Positive(GradientClipNorm, nameof(GradientClipNorm));
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"{nameof(Dropout)} must lie in [0, 1), got {Dropout}");
        if (PriorSteps < 0 || PosteriorSteps < 1) throw new ArgumentException($"{nameof(PriorSteps)} must be at least 0 and {nameof(PosteriorSteps)} at least 1, got {PriorSteps} and {PosteriorSteps}");
        if (PriorHidden is not { Length: > 0 } || PriorHidden.Any(w => w < 1)) throw new ArgumentException($"{nameof(PriorHidden)} must hold positive widths");
    }
}
