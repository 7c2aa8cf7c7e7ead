using System.Text.Json;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Training;
using static TorchSharp.torch;

namespace LatentEbm.Training.Checkpoints;

/// <summary>
/// Epoch checkpoints of a run: <c>checkpoints/epoch-NNNN/</c> (the epoch, at least 4 digits) with the networks (and the encoder's
/// when the run has one), their Adam states,
/// the noise generator's state, and <c>checkpoint.json</c> (epoch, configuration, metrics so far,
/// SHA-256 of every file). A checkpoint is written into a hidden temporary folder and renamed into
/// place, so a folder named <c>epoch-NNNN</c> is always complete; a kill mid-write leaves the
/// previous one intact.
/// </summary>
public sealed class CheckpointStore(string runFolder)
{
    private const int FormatVersion = 1;
    private const string Manifest = "checkpoint.json";
    private static readonly string[] NetworkFiles = ["prior.weights", "generator.weights", "prior.adam", "generator.adam", "noise.state"];
    private static readonly string[] EncoderFiles = ["encoder.weights", "encoder.adam"];

    /// <summary>The files of a checkpoint of <paramref name="config"/>: the encoder's two only when it has one.</summary>
    private static string[] Files(TrainingConfig config) => config.Amortised ? [.. NetworkFiles, .. EncoderFiles] : NetworkFiles;

    /// <summary>The <c>checkpoints</c> folder.</summary>
    public string Folder { get; } = Path.Combine(runFolder, "checkpoints");

    /// <summary>Saves the trainer's state after epoch <see cref="Trainer.EpochsCompleted"/>, then prunes to the newest <paramref name="keep"/>.</summary>
    /// <exception cref="IOException">The disk failed; earlier checkpoints are untouched.</exception>
    public string Save(Trainer trainer, IReadOnlyList<EpochMetrics> history, int keep)
    {
        return CheckpointFiles.SaveEpoch(Folder, trainer.EpochsCompleted, Manifest, keep, temp =>
        {
            CheckpointFiles.Write(temp, "prior.weights", s => trainer.Prior.save(s));
            CheckpointFiles.Write(temp, "generator.weights", s => trainer.Generator.save(s));
            CheckpointFiles.WriteOptimizer(temp, "prior.adam", trainer.PriorOptimizer);
            CheckpointFiles.WriteOptimizer(temp, "generator.adam", trainer.GeneratorOptimizer);
            if (trainer.Encoder is not null)
            {
                CheckpointFiles.Write(temp, "encoder.weights", s => trainer.Encoder.save(s));
                CheckpointFiles.WriteOptimizer(temp, "encoder.adam", trainer.EncoderOptimizer!);
            }
            CheckpointFiles.WriteGeneratorState(temp, trainer.Rng);
            var manifest = new CheckpointManifest(FormatVersion, trainer.EpochsCompleted, trainer.Config, [.. history],
                Files(trainer.Config).ToDictionary(f => f, f => CheckpointFiles.Sha256(Path.Combine(temp, f))));
            CheckpointFiles.Write(temp, Manifest, s => JsonSerializer.Serialize(s, manifest, TrainingConfig.JsonOptions));
        });
    }

    /// <summary>
    /// Complete checkpoint folders, oldest first: ordered by the epoch number in their name, so that
    /// <c>epoch-10000</c> follows <c>epoch-9999</c> (names are padded to 4 digits, not beyond).
    /// </summary>
    public IReadOnlyList<string> List() => CheckpointFiles.EpochFolders(Folder, Manifest);

    /// <summary>The newest checkpoint folder, or null when there is none.</summary>
    public string? Latest() => List().LastOrDefault();

    /// <summary>Reads and verifies a checkpoint's manifest (every file present with its SHA-256).</summary>
    /// <exception cref="CheckpointException">A file is missing, altered or unreadable; the message names it.</exception>
    public static CheckpointManifest ReadManifest(string checkpoint)
    {
        string path = Path.Combine(checkpoint, Manifest);
        CheckpointManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<CheckpointManifest>(File.ReadAllText(path), TrainingConfig.JsonOptions)
                       ?? throw new JsonException("empty");
        }
        catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
        {
            throw new CheckpointException(path, $"unreadable manifest ({e.Message})", e);
        }
        if (manifest.FormatVersion != FormatVersion)
            throw new CheckpointException(path, $"format version {manifest.FormatVersion}, this build reads {FormatVersion}");
        CheckpointFiles.Verify(checkpoint, path, Files(manifest.Config), manifest.Sha256);
        return manifest;
    }

    /// <summary>Restores a trainer built from the same configuration to the checkpoint's state.</summary>
    /// <returns>The checkpoint's manifest (metrics history included).</returns>
    /// <exception cref="CheckpointException">The checkpoint is damaged or does not match the trainer's networks.</exception>
    public static CheckpointManifest Restore(string checkpoint, Trainer trainer)
    {
        var manifest = ReadManifest(checkpoint);
        try
        {
            trainer.Prior.load(Path.Combine(checkpoint, "prior.weights"));
            trainer.Generator.load(Path.Combine(checkpoint, "generator.weights"));
            using (var r = new BinaryReader(File.OpenRead(Path.Combine(checkpoint, "prior.adam"))))
                trainer.PriorOptimizer.load_state_dict(r);
            using (var r = new BinaryReader(File.OpenRead(Path.Combine(checkpoint, "generator.adam"))))
                trainer.GeneratorOptimizer.load_state_dict(r);
            if (trainer.Encoder is not null)
            {
                trainer.Encoder.load(Path.Combine(checkpoint, "encoder.weights"));
                using var r = new BinaryReader(File.OpenRead(Path.Combine(checkpoint, "encoder.adam")));
                trainer.EncoderOptimizer!.load_state_dict(r);
            }
            using var state = tensor(File.ReadAllBytes(Path.Combine(checkpoint, "noise.state")), dtype: ScalarType.Byte);
            trainer.Rng.set_state(state);
        }
        catch (Exception e) when (e is not CheckpointException)
        {
            throw new CheckpointException(checkpoint, $"does not fit the model of this configuration ({e.Message})", e);
        }
        trainer.EpochsCompleted = manifest.Epoch;
        return manifest;
    }

    /// <summary>Loads only the networks of a verified checkpoint (export, evaluation): prior, generator and, when given, the encoder.</summary>
    /// <exception cref="CheckpointException">The checkpoint is damaged, has no encoder while one is given, or a weights file cannot be loaded into its network (TorchSharp's error included); the message names the file.</exception>
    public static CheckpointManifest RestoreNetworks(string checkpoint, nn.Module prior, nn.Module generator, nn.Module? encoder = null)
    {
        var manifest = ReadManifest(checkpoint);
        LoadWeights(prior, Path.Combine(checkpoint, "prior.weights"));
        LoadWeights(generator, Path.Combine(checkpoint, "generator.weights"));
        if (encoder is not null)
        {
            if (!manifest.Config.Amortised) throw new CheckpointException(checkpoint, "has no encoder (its run's posterior chains start from noise)");
            LoadWeights(encoder, Path.Combine(checkpoint, "encoder.weights"));
        }
        return manifest;
    }

    /// <summary>Loads one weights file; TorchSharp's (often native) errors become a <see cref="CheckpointException"/> naming the file.</summary>
    private static void LoadWeights(nn.Module module, string path)
    {
        try
        {
            module.load(path);
        }
        catch (Exception e)
        {
            throw new CheckpointException(path, $"cannot be loaded into the {Path.GetFileNameWithoutExtension(path)} network of the checkpoint's configuration ({e.Message}): the file is not TorchSharp weights of that shape; export an earlier checkpoint or train again", e);
        }
    }
}

/// <summary>The <c>checkpoint.json</c> of a checkpoint folder.</summary>
/// <param name="FormatVersion">Layout version of the checkpoint folder.</param>
/// <param name="Epoch">Epochs completed when it was written.</param>
/// <param name="Config">The run's settings.</param>
/// <param name="History">Metrics of every epoch so far.</param>
/// <param name="Sha256">Lower-case hex SHA-256 per file name.</param>
public sealed record CheckpointManifest(int FormatVersion, int Epoch, TrainingConfig Config, EpochMetrics[] History, Dictionary<string, string> Sha256);
