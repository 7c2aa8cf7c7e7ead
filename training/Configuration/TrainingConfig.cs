using System.Text.Json;
using System.Text.Json.Serialization;
using LatentEbm.Data.Datasets;
using LatentEbm.Data.Observations;
using LatentEbm.Data.Sources;
using LatentEbm.Inference.Scoring;

namespace LatentEbm.Training.Configuration;

/// <summary>
/// Every setting of a training run, with the paper's values (PAPER.md, "Hyper-parameters of the
/// official SVHN script") as defaults unless noted. Serialised as <c>config.json</c> in the run folder.
/// </summary>
public sealed record TrainingConfig : IJsonOnDeserializing
{
    /// <summary>The data source (<see cref="ImageSources"/>): mnist, fashion-mnist, cifar-10, svhn or image-folder.</summary>
    public DatasetName Dataset { get; init; } = DatasetName.Mnist;

    /// <summary>A folder that overrides where the source's files are (required for image-folder), or null for the data cache.</summary>
    public string? DataPath { get; init; }

    /// <summary>Height and width that image-folder images are resized and centre-cropped to (64: CelebA-64). Other sources have their own size.</summary>
    public int ImageSize { get; init; } = 64;

    /// <summary>The largest <see cref="ImageSize"/>: a split is one float array, so big images leave few of them.</summary>
    public const int MaxImageSize = 1024;

    /// <summary>
    /// The observations the model is trained on (kind, <c>[C, H, W]</c>, range): set from the data when a run
    /// starts; configs written before it existed mean MNIST's <c>[1, 28, 28]</c> on [-1, 1].
    /// </summary>
    public ObservationSpec Observation { get; init; } = ObservationSpec.Grey28;

    /// <summary>Digit held out as the anomaly class (PAPER.md protocol) for the MNIST family, or null.</summary>
    public int? HoldoutDigit { get; init; }

    /// <summary>
    /// Class held out as the anomaly class for any labelled source, by name (e.g. <c>cat</c>) or index; null
    /// for none. At most one of this and <see cref="HoldoutDigit"/>.
    /// </summary>
    public string? HoldoutClass { get; init; }

    /// <summary>Whether a class is held out for anomaly detection.</summary>
    [JsonIgnore]
    public bool HoldsOut => HoldoutDigit is not null || HoldoutClass is not null;

    /// <summary>The held-out class index among <paramref name="classNames"/>, or null when none is held out.</summary>
    /// <exception cref="ArgumentException">No such class.</exception>
    public int? HoldoutIndex(IReadOnlyList<string> classNames) =>
        HoldoutDigit ?? (HoldoutClass is string name ? LabeledImages.ClassIndex(classNames, name) : null);

    /// <summary>Seed of the shuffle that splits normal images 80/20 (kept apart from <see cref="Seed"/> so runs with other seeds share a split).</summary>
    public int SplitSeed { get; init; } = 42;

    /// <summary>
    /// Share of the training split (normal images) held out as a validation split, used to calibrate
    /// the anomaly score (<see cref="AnomalyScoreConfig.Weights"/> <c>standardized</c>) and never trained
    /// on; the test split is never used to choose anything. Only with a held-out digit. Default 0: the
    /// paper's protocol trains on all of the 80%; <c>make paper-table</c> uses 0.1.
    /// </summary>
    public double ValidationFraction { get; init; }

    /// <summary>
    /// The prior: <c>ebm</c> (p_alpha ∝ exp(f_alpha) N(0, sigma0^2 I), the paper's model) or <c>gaussian</c>
    /// (f = 0: N(0, sigma0^2 I) alone, no prior chain and no prior update; the generator is learned with
    /// the same posterior Langevin chain, i.e. alternating back-propagation). The baseline of what the EBM prior buys.
    /// </summary>
    public PriorKind Prior { get; init; } = PriorKind.Ebm;

    /// <summary>Whether <see cref="Prior"/> is the plain Gaussian N(0, sigma0^2 I) (f = 0).</summary>
    [JsonIgnore]
    public bool GaussianPrior => Prior == PriorKind.Gaussian;

    /// <summary>
    /// Precision of the generator's layers in the training posterior chain: <c>float32</c> (exact) or
    /// <c>bfloat16</c> (mixed: each layer's product and bias in bfloat16, so g(z) carries bfloat16
    /// rounding; tanh, the residual x - g(z), the prior's gradient and the update in float32; about
    /// twice as fast where the CPU has AVX512-BF16 or AMX, slower where it has not). Parameter updates,
    /// scoring, calibration and export always run in float32.
    /// </summary>
    public ChainPrecision ChainPrecision { get; init; } = ChainPrecision.Float32;

    /// <summary>
    /// What runs the training chains (prior and posterior): <c>onnx_runtime</c> (the default: one ONNX Runtime graph per chain
    /// with the live parameters as inputs, built once per trainer; CPU device and float32 chains only) or <c>torch</c>
    /// (TorchSharp eager, one autograd graph per step; needed for another device or bfloat16 chains). Both run the same chain
    /// on the same noise and differ by float32 rounding; on the default MNIST configuration the ONNX Runtime chains took about
    /// half the torch engine's time per iteration (docs/benchmarks.md, <c>latent-ebm bench training</c>). Scoring,
    /// calibration and the pictures always run the torch chains. A <c>config.json</c> written before this setting existed
    /// reads as <c>torch</c>, the engine such a run was trained with.
    /// </summary>
    public ChainEngine ChainEngine { get; init; } = ChainEngine.OnnxRuntime;

    /// <summary>Latent dimension nz. Default 16 for 28x28 digits (the MLP set-up measured in PAPER.md); the paper uses 100 for SVHN.</summary>
    public int Nz { get; init; } = 16;

    /// <summary>Hidden width of the prior MLP f_alpha: nz -> h -> h -> 1 (paper: 200).</summary>
    public int PriorHidden { get; init; } = 200;

    /// <summary>Activation of the prior MLP: <c>leaky_relu</c> (slope 0.2, the paper's one-page code) or <c>gelu</c> (the repository).</summary>
    public PriorActivation PriorActivation { get; init; } = PriorActivation.LeakyRelu;

    /// <summary>The generator: <c>mlp</c> (<see cref="GeneratorHidden"/>) or <c>conv</c>, the paper's ConvTranspose stack (<see cref="Ngf"/>).</summary>
    public GeneratorKind Generator { get; init; } = GeneratorKind.Mlp;

    /// <summary>Hidden widths of the MLP generator nz -> h1 -> h2 -> C·H·W (LeakyReLU 0.2 between, tanh out). Default 400, 800.</summary>
    public int[] GeneratorHidden { get; init; } = [400, 800];

    /// <summary>Base width of the conv generator (its last hidden stage has 2·ngf channels; the paper's SVHN net: 64). Narrower nets train faster on CPUs.</summary>
    public int Ngf { get; init; } = 64;

    /// <summary>Prior chain length K0 (paper: 60).</summary>
    public int PriorSteps { get; init; } = 60;

    /// <summary>Prior chain Langevin step size s0 (paper: 0.4).</summary>
    public double PriorStepSize { get; init; } = 0.4;

    /// <summary>Posterior chain length K1 (paper's script: 20).</summary>
    public int PosteriorSteps { get; init; } = 20;

    /// <summary>
    /// Where the training posterior chains start: <c>noise</c> (z ~ N(0, sigma0² I), K1 = <see cref="PosteriorSteps"/>, the paper)
    /// or <c>encoder</c> (z ~ q(z|x) of an encoder trained alongside, K1 = <see cref="EncoderPosteriorSteps"/>; PAPER.md,
    /// "Amortised posterior"). The prior chain starts from noise either way. Default <c>encoder</c>, decided on normal validation
    /// images by <c>latent-ebm report posterior-start</c> (reports/posterior-start.md: higher log joint and lower reconstruction
    /// error on every held-out digit); a config.json or checkpoint written before the setting existed reads as <c>noise</c>.
    /// </summary>
    public PosteriorStart PosteriorStart { get => posteriorStart; init => posteriorStart = value; }

    private PosteriorStart posteriorStart = PosteriorStart.Encoder;

    /// <summary>Before a configuration is read from JSON: a file without <c>posterior_start</c> was written by a noise-started run.</summary>
    void IJsonOnDeserializing.OnDeserializing() => posteriorStart = PosteriorStart.Noise;

    /// <summary>Whether the run trains an encoder q(z|x) that starts its posterior chains (<see cref="PosteriorStart"/> <c>encoder</c>).</summary>
    [JsonIgnore]
    public bool Amortised => PosteriorStart == PosteriorStart.Encoder;

    /// <summary>Posterior chain length K1 when the chains start from the encoder (default 10: half of <see cref="PosteriorSteps"/>, fixed in advance).</summary>
    public int EncoderPosteriorSteps { get; init; } = 10;

    /// <summary>Hidden widths of the MLP encoder C·H·W → h1 → h2 → 2·nz (the MLP generator's, reversed; default 800, 400). The conv generator's encoder mirrors it by <see cref="Ngf"/>.</summary>
    public int[] EncoderHidden { get; init; } = [800, 400];

    /// <summary>Adam learning rate of the encoder (default: the generator's, 1e-4), decayed as the others.</summary>
    public double EncoderLearningRate { get; init; } = 1e-4;

    /// <summary>Posterior chain Langevin step size s1 (paper: 0.1).</summary>
    public double PosteriorStepSize { get; init; } = 0.1;

    /// <summary>Generator noise standard deviation sigma, in pixel units of the [-1, 1] scale (paper: 0.3).</summary>
    public double Sigma { get; init; } = 0.3;

    /// <summary>Standard deviation sigma0 of the Gaussian reference prior p0 (paper: 1).</summary>
    public double Sigma0 { get; init; } = 1.0;

    /// <summary>Adam learning rate of the prior (paper: 2e-5).</summary>
    public double PriorLearningRate { get; init; } = 2e-5;

    /// <summary>Adam learning rate of the generator (paper: 1e-4).</summary>
    public double GeneratorLearningRate { get; init; } = 1e-4;

    /// <summary>Adam beta1 (paper: 0.5).</summary>
    public double Beta1 { get; init; } = 0.5;

    /// <summary>Adam beta2 (paper: 0.999).</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Learning rates are multiplied by this once per epoch (paper: 0.998).</summary>
    public double LearningRateDecay { get; init; } = 0.998;

    /// <summary>Minibatch size (paper: 100).</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>Number of epochs (paper: 201 on SVHN; the MNIST demo uses a few).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Seed of parameter initialisation, minibatch order and all chain noise.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Torch device: <c>cpu</c> (the build ships CPU natives) or <c>cuda</c>/<c>cuda:N</c> where a CUDA libtorch is present.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Checkpoints kept in the run folder (the newest ones).</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>Anomaly score settings (test-time posterior chain and term weights).</summary>
    public AnomalyScoreConfig Score { get; init; } = new();

    /// <summary>Checks every setting; throws naming the first bad one.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        static void Positive(string name, double v) { if (!(v > 0) || !double.IsFinite(v)) throw new ArgumentException($"{name} must be positive and finite, got {v}"); }
        static void Known<T>(string name, T value) where T : struct, Enum { if (!Enum.IsDefined(value)) throw new ArgumentException($"{name} must be one of {string.Join(", ", SettingNames.All<T>())}, got {value}"); }
        Known("dataset", Dataset); Known("prior", Prior); Known("chain_precision", ChainPrecision); Known("chain_engine", ChainEngine);
        Known("prior_activation", PriorActivation); Known("generator", Generator);
        if (Dataset == DatasetName.ImageFolder && string.IsNullOrWhiteSpace(DataPath)) throw new ArgumentException("dataset image-folder needs data_path (--data-path): a folder with one subfolder per class");
        if (ImageSize is < 4 or > MaxImageSize) throw new ArgumentException($"image_size (--image-size) must be 4..{MaxImageSize}, got {ImageSize}");
        if (Observation is null) throw new ArgumentException("observation is missing");
        Observation.Validate();
        if (!(ValidationFraction is >= 0 and < 0.5)) throw new ArgumentException($"validation_fraction must lie in [0, 0.5), got {ValidationFraction}");
        if (Score.Weights == ScoreWeighting.Standardized && HoldsOut && ValidationFraction == 0)
            throw new ArgumentException("score weights 'standardized' are calibrated on a validation split: set validation_fraction (--validation-fraction), e.g. 0.1");
        if (HoldoutDigit is < 0 or > 9) throw new ArgumentException($"holdout_digit must be 0..9, got {HoldoutDigit}");
        if (HoldoutDigit is not null && HoldoutClass is not null) throw new ArgumentException("give holdout_digit or holdout_class, not both");
        if (HoldoutDigit is not null && Dataset is not (DatasetName.Mnist or DatasetName.FashionMnist)) throw new ArgumentException($"holdout_digit is for the MNIST family; hold out a class of {SettingNames.Of(Dataset)} with holdout_class (--holdout-class)");
        if (HoldoutClass is not null && string.IsNullOrWhiteSpace(HoldoutClass)) throw new ArgumentException("holdout_class must name a class or give its index");
        Positive("nz", Nz); Positive("prior_hidden", PriorHidden);
        if (GeneratorHidden.Length == 0 || GeneratorHidden.Any(h => h <= 0)) throw new ArgumentException("generator_hidden must list positive widths");
        if (Ngf < 1) throw new ArgumentException($"ngf (--ngf) must be at least 1, got {Ngf}");
        if (Generator == GeneratorKind.Conv) Model.ConvGenerator.Plan(Observation.Height, Observation.Width);
        if (Generator == GeneratorKind.Conv && ChainPrecision == ChainPrecision.Bfloat16) throw new ArgumentException("chain_precision bfloat16 is for the mlp generator; the conv generator's chains run in float32");
        if (ChainEngine == ChainEngine.OnnxRuntime && ChainPrecision != ChainPrecision.Float32) throw new ArgumentException("chain_engine onnx_runtime runs float32 chains; use chain_precision float32 or chain_engine torch");
        if (ChainEngine == ChainEngine.OnnxRuntime && !Device.StartsWith("cpu", StringComparison.Ordinal)) throw new ArgumentException($"chain_engine onnx_runtime runs the chains on the CPU; with device '{Device}' use chain_engine torch");
        if (PriorSteps < 0 || PosteriorSteps < 0) throw new ArgumentException("chain lengths must be non-negative");
        Known("posterior_start", PosteriorStart);
        if (EncoderPosteriorSteps < 0) throw new ArgumentException($"encoder_posterior_steps (--encoder-steps) must be non-negative, got {EncoderPosteriorSteps}");
        if (EncoderHidden.Length == 0 || EncoderHidden.Any(h => h <= 0)) throw new ArgumentException("encoder_hidden must list positive widths");
        Positive("encoder_learning_rate", EncoderLearningRate);
        Positive("prior_step_size", PriorStepSize); Positive("posterior_step_size", PosteriorStepSize);
        Positive("sigma", Sigma); Positive("sigma0", Sigma0);
        Positive("prior_learning_rate", PriorLearningRate); Positive("generator_learning_rate", GeneratorLearningRate);
        if (!(Beta1 is >= 0 and < 1) || !(Beta2 is >= 0 and < 1)) throw new ArgumentException("Adam betas must lie in [0, 1)");
        Positive("learning_rate_decay", LearningRateDecay);
        if (BatchSize < 2) throw new ArgumentException($"batch_size must be at least 2, got {BatchSize}");
        if (Epochs < 1) throw new ArgumentException($"epochs must be at least 1, got {Epochs}");
        if (KeepCheckpoints < 1) throw new ArgumentException("keep_checkpoints must be at least 1");
        ValidateDevice(Device);
        Score.Validate();
    }

    /// <summary>Throws unless <paramref name="device"/> names a torch device that this build can use.</summary>
    /// <exception cref="ArgumentException">Not a device name, or CUDA asked for where it is not available.</exception>
    public static void ValidateDevice(string device)
    {
        TorchSharp.torch.Device parsed;
        try
        {
            parsed = new TorchSharp.torch.Device(device);
        }
        catch (Exception e)
        {
            throw new ArgumentException($"device '{device}' is not a torch device (cpu, cuda, cuda:N): {e.Message}");
        }
        if (parsed.type == TorchSharp.DeviceType.CUDA && !TorchSharp.torch.cuda.is_available())
            throw new ArgumentException($"device '{device}': CUDA is not available (this build ships libtorch's CPU natives for linux-x64)");
    }

    /// <summary>JSON options of <c>config.json</c>: snake_case keys, indented.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
    };

    /// <summary>This configuration as indented snake_case JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>
    /// Parses <c>config.json</c> text. A configuration without <c>chain_engine</c> (written before the setting existed) reads
    /// as <see cref="ChainEngine.Torch"/>: the engine its run was trained with, so that a resumed run continues as it began.
    /// </summary>
    /// <exception cref="JsonException">The text is not a valid configuration (unknown keys included).</exception>
    public static TrainingConfig FromJson(string json)
    {
        var config = JsonSerializer.Deserialize<TrainingConfig>(json, JsonOptions) ?? throw new JsonException("config is null");
        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty("chain_engine", out _) ? config : config with { ChainEngine = ChainEngine.Torch };
    }
}

/// <summary>
/// How the anomaly score of a test image is computed (PAPER.md, "Anomaly detection on MNIST"):
/// a posterior Langevin chain of <see cref="Steps"/> steps from z ~ N(0, sigma0^2 I), with or without
/// noise, then the weighted score of <see cref="AnomalyScoreWeights"/>.
/// </summary>
public sealed record AnomalyScoreConfig
{
    /// <summary>Test-time posterior chain length (default 40).</summary>
    public int Steps { get; init; } = 40;

    /// <summary>
    /// Test-time chain length when the run has an encoder (<see cref="TrainingConfig.PosteriorStart"/> <c>encoder</c>): the chain
    /// starts at the encoder's mean mu(x) and refines it by this many steps (default 5, fixed in advance).
    /// </summary>
    public int EncoderSteps { get; init; } = 5;

    /// <summary>Test-time Langevin step size (default: the training posterior step size 0.1).</summary>
    public double StepSize { get; init; } = 0.1;

    /// <summary>Whether the test-time chain adds Langevin noise (off: a gradient-ascent chain toward the posterior mode, as in later work's code).</summary>
    public bool Noise { get; init; }

    /// <summary>
    /// Weights of the score's terms: <c>log_joint</c> (PAPER.md: 1/(2 sigma^2), 1, 1/(2 sigma0^2)),
    /// <c>later_work</c> (1, 1, 1/(2 sigma0^2)) or <c>standardized</c> (squared error and energy each
    /// divided by its standard deviation over the run's validation split, |z|^2 left out; see
    /// <see cref="Evaluation.ScoreCalibration"/>).
    /// </summary>
    public ScoreWeighting Weights { get; init; } = ScoreWeighting.LogJoint;

    /// <summary>Images per scoring batch.</summary>
    public int BatchSize { get; init; } = 1000;

    /// <summary>The names <see cref="Weights"/> accepts (<see cref="ScoreWeightings.Names"/>).</summary>
    public static readonly string[] WeightNames = ScoreWeightings.Names;

    /// <summary>Resolves <see cref="Weights"/> with the model's sigma and sigma0 and, for <c>standardized</c>, the run's validation calibration.</summary>
    /// <exception cref="ArgumentException">Unknown name, or <c>standardized</c> without a calibration.</exception>
    public AnomalyScoreWeights ResolveWeights(double sigma, double sigma0, Evaluation.ScoreCalibration? calibration = null) =>
        ResolveWeights(SettingNames.Of(Weights), sigma, sigma0, calibration);

    /// <summary>Resolves the weights named <paramref name="name"/> (see <see cref="Weights"/>).</summary>
    /// <exception cref="ArgumentException">Unknown name, or <c>standardized</c> without a calibration.</exception>
    public static AnomalyScoreWeights ResolveWeights(string name, double sigma, double sigma0, Evaluation.ScoreCalibration? calibration) => name switch
    {
        "log_joint" => AnomalyScoreWeights.LogJoint(sigma, sigma0),
        "later_work" => AnomalyScoreWeights.LaterWork(sigma0),
        "standardized" => calibration?.StandardizedWeights()
            ?? throw new ArgumentException("score weights 'standardized' need the run's validation calibration (score_calibration.json; train with validation_fraction > 0)"),
        _ => throw new ArgumentException($"score weights must be one of {string.Join(", ", WeightNames)}, got '{name}'"),
    };

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Steps < 0) throw new ArgumentException($"score steps must be non-negative, got {Steps}");
        if (EncoderSteps < 0) throw new ArgumentException($"score encoder_steps must be non-negative, got {EncoderSteps}");
        if (!(StepSize > 0)) throw new ArgumentException($"score step size must be positive, got {StepSize}");
        if (BatchSize < 1) throw new ArgumentException("score batch size must be positive");
        if (!Enum.IsDefined(Weights)) throw new ArgumentException($"score weights must be one of {string.Join(", ", WeightNames)}, got {Weights}");
    }
}
