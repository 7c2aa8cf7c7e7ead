using System.Text.Json;
using System.Text.Json.Serialization;

namespace LatentEbm.Inference.Bundles;

/// <summary>
/// <c>manifest.json</c> of a model bundle: the contract between training and everything after it.
/// Readers refuse a <see cref="SchemaVersion"/> they do not know.
/// </summary>
public sealed record BundleManifest
{
    /// <summary>
    /// The schema this build writes. 2 added <see cref="Observation"/>, <see cref="BundleModel.Generator"/> and
    /// <see cref="BundleTraining.HoldoutClass"/>; version-1 manifests still load (their observation is
    /// implied by <see cref="BundleModel.ImageShape"/> and <see cref="BundleModel.PixelRange"/>). 3 added the amortised
    /// posterior: <see cref="BundleModel.PosteriorStart"/>, <see cref="BundleModel.EncoderLayers"/>,
    /// <see cref="BundleScore.EncoderSteps"/> and the roles <see cref="BundleRoles.Encoder"/> and
    /// <see cref="BundleRoles.AmortisedPosterior"/>; version-1 and 2 manifests still load (their models have no encoder).
    /// </summary>
    public const int CurrentSchemaVersion = 3;

    /// <summary>The schema versions this build reads.</summary>
    public static readonly IReadOnlyList<int> ReadableSchemaVersions = [1, 2, 3];

    /// <summary>Layout version of the manifest.</summary>
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>Bundle name (its folder name when exported).</summary>
    public string Name { get; init; } = "";

    /// <summary>UTC creation time, ISO 8601.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>The model's settings.</summary>
    public required BundleModel Model { get; init; }

    /// <summary>
    /// What the model observes: kind, shape without the batch and value range (schema 2; for a version-1
    /// manifest the reader fills it in from <see cref="BundleModel.ImageShape"/> and <see cref="BundleModel.PixelRange"/>).
    /// </summary>
    public BundleObservation? Observation { get; init; }

    /// <summary>How and on what the model was trained.</summary>
    public required BundleTraining Training { get; init; }

    /// <summary>The anomaly score baked into <c>anomaly_score.onnx</c> and the test-time chain it was evaluated with.</summary>
    public required BundleScore Score { get; init; }

    /// <summary>
    /// The bundle's own anomaly-detection metrics, written by <c>latent-ebm evaluate anomaly --record</c> (the
    /// ML.NET job on ONNX Runtime that also feeds the reports), with the epoch, seed and weighting they were
    /// measured at; empty until then (export records no test numbers).
    /// </summary>
    public Dictionary<string, JsonElement> Metrics { get; init; } = [];

    /// <summary>One entry per ONNX file.</summary>
    public required BundleFile[] Files { get; init; }

    /// <summary>The external-data file holding the graphs' shared weights, or null when every graph is self-contained.</summary>
    public BundleWeights? Weights { get; init; }

    /// <summary>The export verifier's version and every error it measured, or null for bundles exported before it was recorded.</summary>
    public BundleVerification? Verification { get; init; }

    /// <summary>The JSON options of manifests: snake_case, indented.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DictionaryKeyPolicy = null,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}

/// <summary>Settings of the exported model (PAPER.md, "Model"). Images are in the generator's scale, [-1, 1].</summary>
public sealed record BundleModel(
    int Nz, int[] ImageShape, double Sigma, double Sigma0, int PriorSteps, double PriorStepSize,
    int PosteriorSteps, double PosteriorStepSize, string PriorActivation, string PriorLayers, string GeneratorLayers,
    double[] PixelRange)
{
    /// <summary>The generator network's kind: <c>mlp</c> or <c>conv</c> (schema 2; version-1 bundles are all <c>mlp</c>).</summary>
    public string Generator { get; init; } = "mlp";

    /// <summary>
    /// Where the model's posterior chains start (schema 3; earlier bundles are all <c>noise</c>): <c>noise</c>, z ~ N(0, sigma0² I),
    /// or <c>encoder</c>, the mean mu(x) of an encoder q(z|x) trained alongside (PAPER.md, "Amortised posterior"), whose
    /// bundle has the <see cref="BundleRoles.Encoder"/> and <see cref="BundleRoles.AmortisedPosterior"/> graphs.
    /// </summary>
    public string PosteriorStart { get; init; } = "noise";

    /// <summary>The encoder's layers (<c>[B, C, H, W]</c> → <c>[B, 2·nz]</c>), or null without an encoder (schema 3).</summary>
    public string? EncoderLayers { get; init; }

    /// <summary>Whether the model has an encoder (<see cref="PosteriorStart"/> is <c>encoder</c>).</summary>
    [JsonIgnore]
    public bool HasEncoder => PosteriorStart == "encoder";

    /// <summary>
    /// Whether <paramref name="value"/> is an input pixel on this model's scale: finite and within <see cref="PixelRange"/>,
    /// give or take 0.1% of its width (scaled bytes may round a little past the ends). The one rule of every input path.
    /// </summary>
    public bool AcceptsPixel(double value)
    {
        double slack = 1e-3 * (PixelRange[1] - PixelRange[0]);
        return double.IsFinite(value) && value >= PixelRange[0] - slack && value <= PixelRange[1] + slack;
    }
}

/// <summary>Training provenance.</summary>
/// <param name="Dataset">The data source's name (mnist, fashion-mnist, cifar-10, svhn, image-folder).</param>
/// <param name="HoldoutDigit">The digit held out as the anomaly class (MNIST family), or null.</param>
/// <param name="SplitSeed">Seed of the 80/20 split of normal images.</param>
/// <param name="Seed">Training seed.</param>
/// <param name="Epochs">Epochs trained.</param>
/// <param name="TrainSeconds">Wall time of training.</param>
public sealed record BundleTraining(string Dataset, int? HoldoutDigit, int SplitSeed, int Seed, int Epochs, double TrainSeconds)
{
    /// <summary>The class held out as the anomaly class by name or index for any labelled source, or null (schema 2).</summary>
    public string? HoldoutClass { get; init; }
}

/// <summary>What a model observes (schema 2).</summary>
/// <param name="Kind"><c>image</c>.</param>
/// <param name="Shape">Shape without the batch: <c>[C, H, W]</c> for images.</param>
/// <param name="Range">Lowest and highest value, e.g. <c>[-1, 1]</c>.</param>
public sealed record BundleObservation(string Kind, int[] Shape, double[] Range);

/// <summary>Anomaly score weights (see <see cref="Scoring.AnomalyScoreWeights"/>) and test-time chain settings.</summary>
/// <param name="ReconstructionWeight">Weight of |x − g(z)|².</param>
/// <param name="EnergyWeight">Weight of E = −f.</param>
/// <param name="LatentNormWeight">Weight of |z|².</param>
/// <param name="Steps">Test-time posterior chain length K.</param>
/// <param name="StepSize">Test-time Langevin step size s.</param>
/// <param name="Noise">Whether the test-time chain adds Langevin noise.</param>
/// <param name="Weighting">The weighting's name (<see cref="Scoring.ScoreWeightings"/>); null in bundles exported before it was recorded.</param>
public sealed record BundleScore(double ReconstructionWeight, double EnergyWeight, double LatentNormWeight, int Steps, double StepSize, bool Noise, string? Weighting = null)
{
    /// <summary>
    /// Test-time chain length when the chain starts at the encoder's mean mu(x) (K of <see cref="BundleRoles.AmortisedPosterior"/>,
    /// 0 or more), with the same <see cref="BundleScore.StepSize"/> and <see cref="BundleScore.Noise"/>; null when the model has no encoder (schema 3).
    /// </summary>
    public int? EncoderSteps { get; init; }
}

/// <summary>One ONNX file of a bundle.</summary>
/// <param name="Role">prior_energy, prior_energy_grad, prior_langevin, decoder, posterior_langevin, anomaly_score, or (models with an encoder) encoder and amortised_posterior (<see cref="BundleRoles"/>).</param>
/// <param name="File">File name inside the bundle folder.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file.</param>
/// <param name="Inputs">Input signature.</param>
/// <param name="Outputs">Output signature.</param>
/// <param name="Steps">K of a Langevin file (a property of the file), else null.</param>
public sealed record BundleFile(string Role, string File, string Sha256, TensorSignature[] Inputs, TensorSignature[] Outputs, int? Steps);

/// <summary>How the bundle was proven against the training code at export.</summary>
/// <param name="VerifierVersion">Version of the verifier's checks (it rises whenever a check or bound changes).</param>
/// <param name="Checks">Every check with its measured error and bound.</param>
public sealed record BundleVerification(int VerifierVersion, VerificationCheck[] Checks);

/// <summary>One measured parity check of an exported graph.</summary>
/// <param name="Graph">The role checked.</param>
/// <param name="Quantity">The output compared and against what.</param>
/// <param name="Batch">Batch size.</param>
/// <param name="RelativeError">The measured relative error.</param>
/// <param name="Tolerance">The bound it had to meet.</param>
public sealed record VerificationCheck(string Graph, string Quantity, int Batch, double RelativeError, double Tolerance);

/// <summary>The weights file that the graphs' large initializers point into (ONNX external data).</summary>
/// <param name="File">File name inside the bundle folder.</param>
/// <param name="Sha256">Lower-case hex SHA-256.</param>
/// <param name="Bytes">Size in bytes.</param>
public sealed record BundleWeights(string File, string Sha256, long Bytes);

/// <summary>A float32 tensor's name and shape; "B" is the symbolic batch dimension.</summary>
public sealed record TensorSignature(string Name, string[] Shape)
{
    /// <summary>The shape as text.</summary>
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}
