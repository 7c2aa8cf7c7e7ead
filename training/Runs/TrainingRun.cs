using System.Text;
using System.Text.Json;
using LatentEbm.Data.Datasets;
using LatentEbm.Data.Imaging;
using LatentEbm.Data.IO;
using LatentEbm.Training.Checkpoints;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Evaluation;
using LatentEbm.Training.Model;
using LatentEbm.Training.Sampling;
using LatentEbm.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Runs;

/// <summary>
/// A training run in its folder: <c>config.json</c>, <c>metrics.csv</c> (one row per epoch),
/// <c>prior_samples.png</c>, <c>reconstructions.png</c> and <c>checkpoints/</c>, all written
/// atomically after every epoch. A killed run continues from its newest checkpoint with
/// <see cref="Resume"/> and ends with the same parameters as an uninterrupted one. A run holds its
/// folder's <see cref="RunFolderLock"/> from <see cref="Start"/> or <see cref="Resume"/> until disposed,
/// so that no two processes train (and prune checkpoints) in one folder.
/// </summary>
public sealed class TrainingRun : IDisposable
{
    private const string ConfigFile = "config.json";
    private readonly CheckpointStore checkpoints;
    private readonly List<EpochMetrics> history = [];
    private readonly RunFolderLock folderLock;

    private TrainingRun(string folder, TrainingConfig config, LabeledImages train, RunFolderLock folderLock)
    {
        Folder = folder;
        Config = config;
        checkpoints = new CheckpointStore(folder);
        Trainer = new Trainer(config, train);
        Train = train;
        this.folderLock = folderLock;
    }

    /// <summary>The run folder.</summary>
    public string Folder { get; }

    /// <summary>The run's settings.</summary>
    public TrainingConfig Config { get; }

    /// <summary>The trainer (networks, optimisers, noise).</summary>
    public Trainer Trainer { get; }

    /// <summary>The training images.</summary>
    public LabeledImages Train { get; }

    /// <summary>Metrics of every finished epoch, resumed ones included.</summary>
    public IReadOnlyList<EpochMetrics> History => history;

    /// <summary>Wall time of all finished epochs, in seconds (resumed epochs included).</summary>
    public double TrainSeconds => history.Sum(m => m.Seconds);

    /// <summary>Starts a new run in <paramref name="folder"/> and writes its <c>config.json</c>.</summary>
    /// <exception cref="RunFolderException">The folder already holds a run, or another process is training in it.</exception>
    public static TrainingRun Start(string folder, TrainingConfig config, LabeledImages train)
    {
        config.Validate();
        var folderLock = RunFolderLock.Acquire(folder);
        TrainingRun? run = null;
        try
        {
            if (File.Exists(Path.Combine(folder, ConfigFile)))
                throw new RunFolderException(folder, "already holds a run; pass --resume to continue it, or choose another --out");
            run = new TrainingRun(folder, config, train, folderLock);
            AtomicFile.WriteAllText(Path.Combine(folder, ConfigFile), config.ToJson());
            return run;
        }
        catch
        {
            if (run is null) folderLock.Dispose();
            else run.Dispose();
            throw;
        }
    }

    /// <summary>Reads the settings of the run in <paramref name="folder"/>.</summary>
    /// <exception cref="RunFolderException">No run there, or its config is unreadable.</exception>
    public static TrainingConfig ReadConfig(string folder)
    {
        string path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path)) throw new RunFolderException(folder, $"no {ConfigFile}: not a run folder");
        try
        {
            var config = TrainingConfig.FromJson(File.ReadAllText(path));
            config.Validate();
            return config;
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new RunFolderException(folder, $"unreadable {ConfigFile} ({e.Message})", e);
        }
    }

    /// <summary>
    /// Re-opens the run in <paramref name="folder"/> at its newest checkpoint; never starts afresh.
    /// <paramref name="epochs"/>, when given, changes the run's total epoch count.
    /// </summary>
    /// <exception cref="RunFolderException">No run there, no checkpoint to resume from (nothing in the folder is changed), fewer epochs than done, or another process is training in it.</exception>
    /// <exception cref="RunConfigMismatchException">config.json was edited after the checkpoints were written (nz, widths, activation, prior); the message names the settings.</exception>
    /// <exception cref="CheckpointException">The newest checkpoint is damaged; the message names the file.</exception>
    public static TrainingRun Resume(string folder, LabeledImages train, int? epochs = null)
    {
        var folderLock = RunFolderLock.Acquire(folder);
        TrainingRun? run = null;
        try
        {
            var saved = ReadConfig(folder);
            var config = saved with { Epochs = epochs ?? saved.Epochs };
            config.Validate();
            var store = new CheckpointStore(folder);
            string latest = store.Latest() ?? throw new RunFolderException(folder,
                $"has no checkpoint to resume from (no complete {store.Folder}/epoch-NNNN); --resume never starts a run afresh: remove the folder and train again without --resume, or choose another --out");
            CheckpointManifest manifest;
            try
            {
                var differences = ModelShape.Differences(CheckpointStore.ReadManifest(latest).Config, saved);
                if (differences.Count > 0) throw new RunConfigMismatchException(Path.Combine(folder, ConfigFile), latest, differences);
                run = new TrainingRun(folder, config, train, folderLock);
                manifest = CheckpointStore.Restore(latest, run.Trainer);
            }
            catch (CheckpointException e) when (store.List().Count > 1)
            {
                throw new CheckpointException(e.FilePath, $"{e.Problem}; remove {latest} to resume from the checkpoint before it", e);
            }
            if (config.Epochs < manifest.Epoch)
                throw new RunFolderException(folder, $"has {manifest.Epoch} epochs done; --epochs {config.Epochs} would go back (give at least {manifest.Epoch})");
            run.history.AddRange(manifest.History);
            if (config != saved) AtomicFile.WriteAllText(Path.Combine(folder, ConfigFile), config.ToJson());
            return run;
        }
        catch
        {
            if (run is null) folderLock.Dispose();
            else run.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Trains until <see cref="TrainingConfig.Epochs"/> epochs are done, checkpointing and writing
    /// the run files after each.
    /// </summary>
    /// <exception cref="TrainingDivergedException">Training diverged (a NaN, an infinity, or a value beyond <see cref="TrainingDivergedException.Bound"/>); the last checkpoint is intact.</exception>
    public void TrainToEnd(Action<IterationStats>? onIteration = null, Action<EpochMetrics>? onEpoch = null, CancellationToken cancellation = default)
    {
        while (Trainer.EpochsCompleted < Config.Epochs)
        {
            var metrics = Trainer.RunEpoch(onIteration, cancellation);
            history.Add(metrics);
            checkpoints.Save(Trainer, history, Config.KeepCheckpoints);
            WriteMetrics();
            WritePictures();
            onEpoch?.Invoke(metrics);
        }
        if (history.Count > 0 && !File.Exists(Path.Combine(Folder, "prior_samples.png")))
            WritePictures();
    }

    /// <summary>Scores <paramref name="images"/> for anomaly with the run's test-time settings (reproducible: seeded by the run's seed).</summary>
    public ScoreTerms ScoreImages(LabeledImages images, Action<int>? onBatch = null) =>
        AnomalyScorer.Score(Trainer.Model, images, Config.Score, Config.Seed + 2, Trainer.Device, onBatch);

    /// <summary>
    /// Measures the score terms' spreads on <paramref name="validation"/> (normal images held out of
    /// training) and writes <c>score_calibration.json</c>, which the <c>standardized</c> weights and
    /// the exporter read.
    /// </summary>
    public ScoreCalibration CalibrateScore(LabeledImages validation, Action<int>? onBatch = null)
    {
        var calibration = ScoreCalibration.Measure(ScoreImages(validation, onBatch), Trainer.EpochsCompleted);
        calibration.Write(Folder);
        return calibration;
    }

    private void WriteMetrics()
    {
        var csv = new StringBuilder(EpochMetrics.CsvHeader).Append('\n');
        foreach (var m in history) csv.Append(m.ToCsvRow()).Append('\n');
        AtomicFile.WriteAllText(Path.Combine(Folder, "metrics.csv"), csv.ToString());
    }

    /// <summary>Decoded prior samples (8x8 grid) and up to 32 training images (whole rows of up to 8) above their reconstructions.</summary>
    private void WritePictures()
    {
        using var scope = NewDisposeScope();
        var model = Trainer.Model;
        var device = Trainer.Device;
        int c = Train.Channels, h = Train.Height, w = Train.Width, size = Train.PixelsPerImage;
        using var rng = new torch.Generator((ulong)Config.Seed + 1, device);
        var noise = new GaussianNoise(rng);

        var zPrior = Trainer.SamplePrior(64, rng);
        using (no_grad())
            ImageGrid.SavePng(Path.Combine(Folder, "prior_samples.png"), Floats(model.Generator.forward(zPrior)), 64, c, h, w, columns: 8);

        // Whole rows of up to 8: 32 images, or fewer for a small training set.
        int columns = Math.Min(8, Train.Count);
        int shown = Math.Min(32, Train.Count) / columns * columns;
        var x = tensor(Train.Pixels.AsSpan(0, shown * size).ToArray(), [shown, c, h, w]).to(device);
        var zPost = model.Encoder is { } encoder
            ? LangevinSampler.PosteriorChain(model, x, encoder.Mean(x), Config.EncoderPosteriorSteps, Config.PosteriorStepSize, noise)
            : LangevinSampler.PosteriorChain(model, x, randn([shown, Config.Nz], device: device, generator: rng) * Config.Sigma0,
                Config.PosteriorSteps, Config.PosteriorStepSize, noise);
        float[] reconstructed;
        using (no_grad()) reconstructed = Floats(model.Generator.forward(zPost));
        // Rows alternate: a row of data images, then their reconstructions.
        var grid = new float[2 * shown * size];
        for (int i = 0; i < shown; i++)
        {
            int row = i / columns, col = i % columns;
            Train.Image(i).CopyTo(grid.AsSpan(((2 * row) * columns + col) * size, size));
            reconstructed.AsSpan(i * size, size).CopyTo(grid.AsSpan(((2 * row + 1) * columns + col) * size, size));
        }
        ImageGrid.SavePng(Path.Combine(Folder, "reconstructions.png"), grid, 2 * shown, c, h, w, columns);
    }

    private static float[] Floats(Tensor t) => t.to(float32).cpu().data<float>().ToArray();

    /// <inheritdoc />
    public void Dispose()
    {
        Trainer.Dispose();
        folderLock.Dispose();
    }
}
