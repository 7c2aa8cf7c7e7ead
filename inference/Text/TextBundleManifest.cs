using System.Text.Json.Serialization;
using LatentEbm.Inference.Bundles;

namespace LatentEbm.Inference.Text;

/// <summary>
/// <c>manifest.json</c> of a text model bundle (schema version <see cref="SchemaVersionText"/>, observation kind
/// <c>text</c>): the contract between the text training code and everything after it. Image bundles (kind <c>image</c>,
/// schema 1 to 3) are <see cref="BundleManifest"/>; each reader refuses the other kind with a <see cref="BundleException"/>.
/// JSON in snake_case (<see cref="BundleManifest.JsonOptions"/>).
/// </summary>
public sealed record TextBundleManifest
{
    /// <summary>The schema version of text manifests: 4, the first with <c>observation.kind = text</c>.</summary>
    public const int SchemaVersionText = 4;

    /// <summary>Layout version of the manifest (<see cref="SchemaVersionText"/>).</summary>
    public int SchemaVersion { get; init; } = SchemaVersionText;

    /// <summary>Bundle name (its folder name when exported).</summary>
    public string Name { get; init; } = "";

    /// <summary>UTC creation time.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>The model's sizes and chains.</summary>
    public required TextBundleModel Model { get; init; }

    /// <summary>What the model observes: sentences of at most <see cref="TextObservation.MaxWords"/> words of the shipped vocabulary.</summary>
    public required TextObservation Observation { get; init; }

    /// <summary>How and on what the model was trained.</summary>
    public required TextBundleTraining Training { get; init; }

    /// <summary>One entry per ONNX file (<see cref="TextBundleRoles"/>).</summary>
    public required TextBundleFile[] Files { get; init; }

    /// <summary>The external-data file holding the graphs' shared weights.</summary>
    public required BundleWeights Weights { get; init; }

    /// <summary>The export verifier's version and every error it measured.</summary>
    public BundleVerification? Verification { get; init; }
}

/// <summary>The text latent EBM's settings (PAPER.md, "Text model").</summary>
/// <param name="Nz">Latent size nz.</param>
/// <param name="VocabularySize">V, the four special tokens included.</param>
/// <param name="EmbeddingSize">Word embedding size E.</param>
/// <param name="HiddenSize">LSTM units H.</param>
/// <param name="PriorLayers">The prior MLP f_alpha, e.g. <c>Linear(32→200) LeakyReLU(0.2) ...</c>.</param>
/// <param name="Sigma0">Reference prior standard deviation sigma0.</param>
/// <param name="GaussianPrior">True for the Gaussian-prior baseline (f = 0).</param>
/// <param name="PriorSteps">Prior chain K0 (0 or more).</param>
/// <param name="PriorStepSize">Prior chain step size s0.</param>
/// <param name="PosteriorStepSizes">The posterior chain's step sizes s_0 ... s_{K-1} (baked into <c>posterior_langevin</c>; K = their count).</param>
public sealed record TextBundleModel(int Nz, int VocabularySize, int EmbeddingSize, int HiddenSize, string PriorLayers, double Sigma0,
    bool GaussianPrior, int PriorSteps, double PriorStepSize, double[] PosteriorStepSizes)
{
    /// <summary>The posterior chain's length K.</summary>
    [JsonIgnore]
    public int PosteriorSteps => PosteriorStepSizes?.Length ?? 0;
}

/// <summary>A text bundle's observation: kind <c>text</c>, the sentence limit, the vocabulary file and the special tokens.</summary>
/// <param name="Kind"><c>text</c>.</param>
/// <param name="MaxWords">Most words per sentence (PTB practice: 40); decoding runs <c>MaxWords + 1</c> steps (the words and &lt;/s&gt;).</param>
/// <param name="Vocabulary">The vocabulary file: one token per line, id = line number (0-based).</param>
/// <param name="VocabularySha256">Lower-case hex SHA-256 of <paramref name="Vocabulary"/>.</param>
/// <param name="SpecialTokens">Each special token's id: <c>&lt;pad&gt;</c> 0, <c>&lt;unk&gt;</c> 1, <c>&lt;s&gt;</c> 2, <c>&lt;/s&gt;</c> 3.</param>
public sealed record TextObservation(string Kind, int MaxWords, string Vocabulary, string VocabularySha256, Dictionary<string, int> SpecialTokens);

/// <summary>Training provenance of a text bundle.</summary>
/// <param name="TrainFile">The training corpus's file name.</param>
/// <param name="MaxVocabulary">Most words of the vocabulary, the specials not included.</param>
/// <param name="Seed">Training seed.</param>
/// <param name="Epochs">Epochs of the exported checkpoint.</param>
/// <param name="TrainSeconds">Wall time of those epochs.</param>
/// <param name="ValidationNllPerWord">The exported epoch's validation NLL per scored token (nats; null when not measured).</param>
/// <param name="Threads">Torch CPU threads of training.</param>
public sealed record TextBundleTraining(string TrainFile, int MaxVocabulary, int Seed, int Epochs, double TrainSeconds, double? ValidationNllPerWord, int Threads);

/// <summary>One ONNX file of a text bundle.</summary>
/// <param name="Role">Its role (<see cref="TextBundleRoles"/>).</param>
/// <param name="File">File name inside the bundle folder.</param>
/// <param name="Sha256">Lower-case hex SHA-256.</param>
/// <param name="Inputs">Input signature.</param>
/// <param name="Outputs">Output signature.</param>
/// <param name="Steps">K of a Langevin file, L of a decoding file, else null.</param>
public sealed record TextBundleFile(string Role, string File, string Sha256, TextTensorSignature[] Inputs, TextTensorSignature[] Outputs, int? Steps);

/// <summary>A tensor's name, element type (<c>float32</c> or <c>int64</c>) and shape ("B" the batch, "T1" the token count).</summary>
public sealed record TextTensorSignature(string Name, string Type, string[] Shape)
{
    /// <summary>The signature as text.</summary>
    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Shape)}]";
}
