using System.Text.Json;
using LatentEbm.Data.Sources;
using LatentEbm.Training.Configuration;

namespace LatentEbm.Training.Text;

/// <summary>
/// The settings of a text training run, stored as its <c>config.json</c>: the model and learning settings, the corpora,
/// the vocabulary and sentence limits, epochs and threads. Everything a run's numbers depend on is here.
/// </summary>
public sealed record TextRunConfig
{
    /// <summary>The model and its learning (sizes, chains, learning rates, seed, prior kind).</summary>
    public TextTrainingSettings Model { get; init; } = new();

    /// <summary>Passes over the training sentences.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Training corpus: one sentence per line, words separated by spaces (full path).</summary>
    public string TrainPath { get; init; } = "";

    /// <summary>Validation corpus in the same form (full path): monitored each epoch, never trained on.</summary>
    public string ValidationPath { get; init; } = "";

    /// <summary>Most words per sentence; longer sentences are counted and skipped (PTB practice: 40).</summary>
    public int MaxWords { get; init; } = Data.Text.TextCorpus.DefaultMaxWords;

    /// <summary>Most words in the vocabulary, the specials not included (PTB: 10,000).</summary>
    public int MaxVocabulary { get; init; } = Data.Text.Vocabulary.DefaultMaxWords;

    /// <summary>Torch CPU threads the run trains with (results depend on it through float summation order).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>
    /// What runs the training's posterior chain: ONNX Runtime over the live parameters (<see cref="Sampling.OnnxRuntimeTextChains"/>,
    /// the default: less CPU time per chain than TorchSharp's autograd per step) or TorchSharp eager autograd. Not part of
    /// <see cref="ShapeKey"/>: like <see cref="Threads"/> it changes results only by float rounding, so a checkpoint of one
    /// engine restores into a run of the other.
    /// </summary>
    public ChainEngine ChainEngine { get; init; } = ChainEngine.OnnxRuntime;

    /// <summary>Newest checkpoints kept.</summary>
    public int KeepCheckpoints { get; init; } = 2;

    /// <summary>Validation sentences whose posterior NLL is measured after each epoch (the first ones of the file).</summary>
    public int ValidationSentences { get; init; } = 256;

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting out of range, named.</exception>
    public void Validate()
    {
        Model.Validate();
        if (!Enum.IsDefined(ChainEngine)) throw new ArgumentException($"chain_engine must be one of {string.Join(", ", SettingNames.All<ChainEngine>())}, got {ChainEngine}");
        if (Epochs < 1) throw new ArgumentException($"epochs must be at least 1, got {Epochs}");
        if (string.IsNullOrWhiteSpace(TrainPath) || string.IsNullOrWhiteSpace(ValidationPath)) throw new ArgumentException("train_path and validation_path must name files");
        if (MaxWords < 1) throw new ArgumentException($"max_words must be at least 1, got {MaxWords}");
        if (MaxVocabulary < 1) throw new ArgumentException($"max_vocabulary must be at least 1, got {MaxVocabulary}");
        if (Threads < 1) throw new ArgumentException($"threads must be at least 1, got {Threads}");
        if (KeepCheckpoints < 1) throw new ArgumentException($"keep_checkpoints must be at least 1, got {KeepCheckpoints}");
        if (ValidationSentences < 1) throw new ArgumentException($"validation_sentences must be at least 1, got {ValidationSentences}");
    }

    /// <summary>The settings that fix the networks' shapes and learning; a checkpoint fits a config only when these agree.</summary>
    public string ShapeKey() => JsonSerializer.Serialize(new { Model, MaxWords, MaxVocabulary, TrainPath = Path.GetFileName(TrainPath) }, TrainingConfig.JsonOptions);

    /// <summary>Snake-case JSON, as the image runs' config.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, TrainingConfig.JsonOptions);

    /// <summary>
    /// Reads a config written by <see cref="ToJson"/>; unknown keys are errors. A config without <c>chain_engine</c> (written
    /// before the setting existed) reads as <see cref="ChainEngine.Torch"/>, the engine its run was trained with.
    /// </summary>
    /// <exception cref="JsonException">Not a valid text run configuration.</exception>
    public static TextRunConfig FromJson(string json)
    {
        var config = JsonSerializer.Deserialize<TextRunConfig>(json, TrainingConfig.JsonOptions) ?? throw new JsonException("config is null");
        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty("chain_engine", out _) ? config : config with { ChainEngine = ChainEngine.Torch };
    }
}
