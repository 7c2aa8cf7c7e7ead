namespace LatentEbm.Training.Configuration;

/// <summary>The prior of the latent space (<see cref="TrainingConfig.Prior"/>).</summary>
public enum PriorKind
{
    /// <summary>p_alpha(z) ∝ exp(f_alpha(z)) N(0, sigma0² I): the paper's learned EBM prior.</summary>
    Ebm,
    /// <summary>N(0, sigma0² I) alone (f = 0): the baseline with the same generator and posterior chain.</summary>
    Gaussian,
}

/// <summary>Precision of the generator's layers in the training posterior chain (<see cref="TrainingConfig.ChainPrecision"/>).</summary>
public enum ChainPrecision
{
    /// <summary>Exact float32.</summary>
    Float32,
    /// <summary>bfloat16 products and biases in the MLP generator's layers, the rest float32.</summary>
    Bfloat16,
}

/// <summary>Activation of the prior MLP (<see cref="TrainingConfig.PriorActivation"/>).</summary>
public enum PriorActivation
{
    /// <summary>LeakyReLU with slope 0.2 (the paper's one-page code).</summary>
    LeakyRelu,
    /// <summary>GELU, exact erf form (the paper's repository).</summary>
    Gelu,
}

/// <summary>The generator network g_theta (<see cref="TrainingConfig.Generator"/>).</summary>
public enum GeneratorKind
{
    /// <summary>An MLP nz → h1 → h2 → C·H·W, LeakyReLU 0.2 between, tanh out (<see cref="Model.MlpGenerator"/>).</summary>
    Mlp,
    /// <summary>The paper's ConvTranspose stack (<see cref="Model.ConvGenerator"/>).</summary>
    Conv,
}

/// <summary>The anomaly score's weighting (<see cref="AnomalyScoreConfig.Weights"/>; names as <see cref="Inference.Scoring.ScoreWeightings"/>).</summary>
public enum ScoreWeighting
{
    /// <summary>The paper's negative log joint: 1/(2 sigma²), 1, 1/(2 sigma0²).</summary>
    LogJoint,
    /// <summary>Later work's public code: 1, 1, 1/(2 sigma0²).</summary>
    LaterWork,
    /// <summary>Squared error and energy, each over its spread on the validation split; |z|² left out.</summary>
    Standardized,
}

/// <summary>Where the posterior Langevin chains start (<see cref="TrainingConfig.PosteriorStart"/>).</summary>
public enum PosteriorStart
{
    /// <summary>z ~ N(0, sigma0² I) (the paper): K1 = <see cref="TrainingConfig.PosteriorSteps"/> steps.</summary>
    Noise,
    /// <summary>
    /// z ~ q(z|x) of a learned encoder (amortised inference, the dual-MCMC recipe of PAPER.md "Amortised posterior"):
    /// K1 = <see cref="TrainingConfig.EncoderPosteriorSteps"/> steps; the encoder is fitted to the chains' end points.
    /// </summary>
    Encoder,
}

/// <summary>What runs the training chains (<see cref="TrainingConfig.ChainEngine"/>).</summary>
public enum ChainEngine
{
    /// <summary>TorchSharp eager: an autograd graph (or the hand-written input VJP) per Langevin step (<see cref="Sampling.LangevinSampler"/>).</summary>
    Torch,
    /// <summary>
    /// ONNX Runtime on the CPU: each chain is one graph with the networks' live parameters as inputs, built once per trainer
    /// (<see cref="Sampling.OnnxRuntimeChains"/>); float32, networks of Linear and convolution layers. For the text model
    /// (<c>TextRunConfig.ChainEngine</c>) the posterior chain over the LSTM decoder (<see cref="Sampling.OnnxRuntimeTextChains"/>).
    /// </summary>
    OnnxRuntime,
}
