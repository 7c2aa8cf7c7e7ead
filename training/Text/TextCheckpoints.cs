using System.Text.Json;
using LatentEbm.Training.Checkpoints;
using LatentEbm.Training.Configuration;
using static TorchSharp.torch;

namespace LatentEbm.Training.Text;

/// <summary>The <c>checkpoint.json</c> of a text checkpoint.</summary>
/// <param name="FormatVersion">Layout version.</param>
/// <param name="Epoch">Epochs completed when it was written.</param>
/// <param name="ShapeKey">The run's <see cref="TextRunConfig.ShapeKey"/>: a checkpoint restores only into a run with the same one.</param>
/// <param name="History">Metrics of every epoch so far.</param>
/// <param name="Sha256">Lower-case hex SHA-256 per file name.</param>
public sealed record TextCheckpointManifest(int FormatVersion, int Epoch, string ShapeKey, TextEpochMetrics[] History, Dictionary<string, string> Sha256);

/// <summary>
/// Epoch checkpoints of a text run, laid out as the image runs' (<see cref="CheckpointStore"/>):
/// <c>checkpoints/epoch-NNNN/</c> with the decoder's and prior's weights and Adam states, the noise generator's state and
/// <c>checkpoint.json</c> (SHA-256 of every file), written into a hidden folder and renamed into place.
/// </summary>
public sealed class TextCheckpoints(string runFolder)
{
    private const int FormatVersion = 1;
    private const string Manifest = "checkpoint.json";

    /// <summary>The <c>checkpoints</c> folder.</summary>
    public string Folder { get; } = Path.Combine(runFolder, "checkpoints");

    private static string[] Files(bool gaussian) => gaussian
        ? ["decoder.weights", "prior.weights", "decoder.adam", "noise.state"]
        : ["decoder.weights", "prior.weights", "decoder.adam", "prior.adam", "noise.state"];

    /// <summary>Saves the trainer after epoch <see cref="TextTrainer.EpochsCompleted"/>, then keeps the newest <paramref name="keep"/>.</summary>
    public string Save(TextTrainer trainer, string shapeKey, IReadOnlyList<TextEpochMetrics> history, int keep)
    {
        return CheckpointFiles.SaveEpoch(Folder, trainer.EpochsCompleted, Manifest, keep, temp =>
        {
            CheckpointFiles.Write(temp, "decoder.weights", s => trainer.Model.Decoder.save(s));
            CheckpointFiles.Write(temp, "prior.weights", s => trainer.Model.Prior.save(s));
            CheckpointFiles.WriteOptimizer(temp, "decoder.adam", trainer.DecoderOptimizer);
            if (trainer.PriorOptimizer is { } priorOptimizer) CheckpointFiles.WriteOptimizer(temp, "prior.adam", priorOptimizer);
            CheckpointFiles.WriteGeneratorState(temp, trainer.Rng);
            var manifest = new TextCheckpointManifest(FormatVersion, trainer.EpochsCompleted, shapeKey, [.. history],
                Files(trainer.Settings.GaussianPrior).ToDictionary(f => f, f => CheckpointFiles.Sha256(Path.Combine(temp, f))));
            CheckpointFiles.Write(temp, Manifest, s => JsonSerializer.Serialize(s, manifest, TrainingConfig.JsonOptions));
        });
    }

    /// <summary>Complete checkpoint folders, oldest first.</summary>
    public IReadOnlyList<string> List() => CheckpointFiles.EpochFolders(Folder, Manifest);

    /// <summary>The newest checkpoint folder, or null.</summary>
    public string? Latest() => List().LastOrDefault();

    /// <summary>Reads and verifies a checkpoint's manifest (every file present with its SHA-256).</summary>
    /// <exception cref="CheckpointException">A file missing, altered or unreadable, named.</exception>
    public static TextCheckpointManifest ReadManifest(string checkpoint, bool gaussian)
    {
        string path = Path.Combine(checkpoint, Manifest);
        TextCheckpointManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<TextCheckpointManifest>(File.ReadAllText(path), TrainingConfig.JsonOptions) ?? throw new JsonException("empty");
        }
        catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
        {
            throw new CheckpointException(path, $"unreadable manifest ({e.Message})", e);
        }
        if (manifest.FormatVersion != FormatVersion)
            throw new CheckpointException(path, $"format version {manifest.FormatVersion}, this build reads {FormatVersion}");
        CheckpointFiles.Verify(checkpoint, path, Files(gaussian), manifest.Sha256);
        return manifest;
    }

    /// <summary>Restores the networks (and, with <paramref name="optimisers"/>, the Adam and noise states) of a verified checkpoint.</summary>
    /// <exception cref="CheckpointException">Damaged, or made by a run of other settings (<paramref name="shapeKey"/>); named.</exception>
    public static TextCheckpointManifest Restore(string checkpoint, TextTrainer trainer, string shapeKey, bool optimisers = true)
    {
        var manifest = ReadManifest(checkpoint, trainer.Settings.GaussianPrior);
        if (manifest.ShapeKey != shapeKey)
            throw new CheckpointException(checkpoint, "was written by a run of other settings (config.json was edited after training started)");
        try
        {
            trainer.Model.Decoder.load(Path.Combine(checkpoint, "decoder.weights"));
            trainer.Model.Prior.load(Path.Combine(checkpoint, "prior.weights"));
            if (optimisers)
            {
                using (var r = new BinaryReader(File.OpenRead(Path.Combine(checkpoint, "decoder.adam"))))
                    trainer.DecoderOptimizer.load_state_dict(r);
                if (trainer.PriorOptimizer is { } priorOptimizer)
                {
                    using var r = new BinaryReader(File.OpenRead(Path.Combine(checkpoint, "prior.adam")));
                    priorOptimizer.load_state_dict(r);
                }
                using var state = tensor(File.ReadAllBytes(Path.Combine(checkpoint, "noise.state")), dtype: ScalarType.Byte);
                trainer.Rng.set_state(state);
            }
        }
        catch (Exception e) when (e is not CheckpointException)
        {
            throw new CheckpointException(checkpoint, $"does not fit the text model of this configuration ({e.Message})", e);
        }
        trainer.EpochsCompleted = manifest.Epoch;
        return manifest;
    }
}
