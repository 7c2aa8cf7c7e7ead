using System.Text;
using System.Text.Json;
using LatentEbm.Data.IO;
using LatentEbm.Data.Text;
using LatentEbm.Training.Runs;
using LatentEbm.Training.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Text;

/// <summary>
/// A text training run in its folder: <c>config.json</c>, <c>vocabulary.txt</c> (built from the training corpus at start,
/// one token per line, id = line number), <c>corpus.json</c> (what the reader kept and skipped), <c>metrics.csv</c> (one row
/// per epoch), <c>samples.txt</c> (prior samples and reconstructions, greedy) and <c>checkpoints/</c>, written atomically
/// after every epoch. <see cref="Resume"/> continues a killed run from its newest checkpoint. The folder is locked while a
/// run is open.
/// </summary>
public sealed class TextTrainingRun : IDisposable
{
    private const string ConfigFile = "config.json";
    private const string VocabularyFile = "vocabulary.txt";
    private readonly TextCheckpoints checkpoints;
    private readonly List<TextEpochMetrics> history = [];
    private readonly RunFolderLock folderLock;

    private TextTrainingRun(string folder, TextRunConfig config, Vocabulary vocabulary, TextCorpus train, TextCorpus validation, RunFolderLock folderLock)
    {
        Folder = folder;
        Config = config;
        Vocabulary = vocabulary;
        Train = train;
        Validation = validation;
        this.folderLock = folderLock;
        checkpoints = new TextCheckpoints(folder);
        Trainer = new TextTrainer(config.Model, vocabulary.Count, train.Sentences, config.ChainEngine);
    }

    /// <summary>The run folder.</summary>
    public string Folder { get; }

    /// <summary>The run's settings.</summary>
    public TextRunConfig Config { get; }

    /// <summary>The run's vocabulary.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The training sentences.</summary>
    public TextCorpus Train { get; }

    /// <summary>The validation sentences.</summary>
    public TextCorpus Validation { get; }

    /// <summary>The trainer.</summary>
    public TextTrainer Trainer { get; }

    /// <summary>Every finished epoch's metrics.</summary>
    public IReadOnlyList<TextEpochMetrics> History => history;

    /// <summary>Starts a new run: builds the vocabulary from the training corpus, reads both corpora and writes the run files.</summary>
    /// <exception cref="RunFolderException">The folder holds a run already, or another process trains in it.</exception>
    /// <exception cref="Data.Sources.DataFormatException">A corpus is damaged (not UTF-8), named.</exception>
    /// <exception cref="ArgumentException">A bad setting, or fewer training sentences than one batch.</exception>
    public static TextTrainingRun Start(string folder, TextRunConfig config)
    {
        config.Validate();
        var folderLock = RunFolderLock.Acquire(folder);
        try
        {
            if (File.Exists(Path.Combine(folder, ConfigFile)))
                throw new RunFolderException(folder, "already holds a run; pass --resume to continue it, or choose another --out");
            var vocabulary = Vocabulary.Build(TextCorpus.Lines(config.TrainPath), config.MaxVocabulary);
            var (train, validation) = ReadCorpora(config, vocabulary);
            var run = new TextTrainingRun(folder, config, vocabulary, train, validation, folderLock);
            vocabulary.Save(Path.Combine(folder, VocabularyFile));
            AtomicFile.WriteAllText(Path.Combine(folder, "corpus.json"), CorpusFacts(train, validation, vocabulary));
            AtomicFile.WriteAllText(Path.Combine(folder, ConfigFile), config.ToJson());
            return run;
        }
        catch
        {
            folderLock.Dispose();
            throw;
        }
    }

    /// <summary>Reads the settings of the text run in <paramref name="folder"/>.</summary>
    /// <exception cref="RunFolderException">No text run there, or an unreadable config.</exception>
    public static TextRunConfig ReadConfig(string folder)
    {
        string path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path)) throw new RunFolderException(folder, $"no {ConfigFile}: not a run folder");
        try
        {
            var config = TextRunConfig.FromJson(File.ReadAllText(path));
            config.Validate();
            return config;
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new RunFolderException(folder, $"unreadable {ConfigFile} for a text run ({e.Message})", e);
        }
    }

    /// <summary>Re-opens the run at its newest checkpoint (never afresh); <paramref name="epochs"/> changes the total.</summary>
    /// <exception cref="RunFolderException">No run or no checkpoint there, or fewer epochs than done.</exception>
    /// <exception cref="Checkpoints.CheckpointException">The newest checkpoint is damaged or of other settings.</exception>
    public static TextTrainingRun Resume(string folder, int? epochs = null) => Open(folder, epochs, optimisers: true);

    /// <summary>Opens a finished or stopped run at its newest checkpoint to evaluate or export it (nothing is written).</summary>
    /// <exception cref="RunFolderException">No run or no checkpoint there.</exception>
    /// <exception cref="Checkpoints.CheckpointException">The newest checkpoint is damaged.</exception>
    public static TextTrainingRun OpenForEvaluation(string folder) => Open(folder, null, optimisers: false);

    private static TextTrainingRun Open(string folder, int? epochs, bool optimisers)
    {
        var folderLock = RunFolderLock.Acquire(folder);
        TextTrainingRun? run = null;
        try
        {
            var saved = ReadConfig(folder);
            var config = saved with { Epochs = epochs ?? saved.Epochs };
            var vocabulary = Vocabulary.Load(Path.Combine(folder, VocabularyFile));
            string latest = new TextCheckpoints(folder).Latest() ?? throw new RunFolderException(folder,
                "has no checkpoint (no complete checkpoints/epoch-NNNN); --resume never starts a run afresh");
            var (train, validation) = ReadCorpora(config, vocabulary);
            run = new TextTrainingRun(folder, config, vocabulary, train, validation, folderLock);
            var manifest = TextCheckpoints.Restore(latest, run.Trainer, config.ShapeKey(), optimisers);
            if (config.Epochs < manifest.Epoch)
                throw new RunFolderException(folder, $"has {manifest.Epoch} epochs done; --epochs {config.Epochs} would go back (give at least {manifest.Epoch})");
            run.history.AddRange(manifest.History);
            if (optimisers && config != saved) AtomicFile.WriteAllText(Path.Combine(folder, ConfigFile), config.ToJson());
            return run;
        }
        catch
        {
            if (run is null) folderLock.Dispose();
            else run.Dispose();
            throw;
        }
    }

    /// <summary>Trains until <see cref="TextRunConfig.Epochs"/> are done, then after each epoch measures the validation NLL, checkpoints and writes the run files.</summary>
    /// <exception cref="InvalidOperationException">Training diverged; the last checkpoint is intact.</exception>
    /// <exception cref="OperationCanceledException">Cancelled between iterations; the last checkpoint is intact.</exception>
    public void TrainToEnd(Action<TextIterationMetrics>? onIteration = null, Action<TextEpochMetrics>? onEpoch = null, CancellationToken cancellation = default)
    {
        while (Trainer.EpochsCompleted < Config.Epochs)
        {
            var metrics = Trainer.RunEpoch(onIteration, cancellation) with { ValidationNllPerWord = ValidationNllPerWord() };
            history.Add(metrics);
            checkpoints.Save(Trainer, Config.ShapeKey(), history, Config.KeepCheckpoints);
            var csv = new StringBuilder(TextEpochMetrics.CsvHeader).Append('\n');
            foreach (var m in history) csv.Append(m.ToCsvRow()).Append('\n');
            AtomicFile.WriteAllText(Path.Combine(Folder, "metrics.csv"), csv.ToString());
            AtomicFile.WriteAllText(Path.Combine(Folder, "samples.txt"), Samples());
            onEpoch?.Invoke(metrics);
        }
    }

    /// <summary>
    /// Posterior chains (the training chain's settings, a fixed seed) on the first <see cref="TextRunConfig.ValidationSentences"/>
    /// validation sentences; the negative log-likelihood at their end points per scored token (words and <c>&lt;/s&gt;</c>), nats.
    /// </summary>
    public double ValidationNllPerWord()
    {
        using var rng = new torch.Generator((ulong)Config.Model.Seed + 7);
        var noise = new GaussianNoise(rng);
        var model = Trainer.Model;
        double nll = 0, tokens = 0;
        var sentences = Validation.Sentences.Take(Config.ValidationSentences).ToArray();
        for (int start = 0; start < sentences.Length; start += Config.Model.BatchSize)
        {
            using var scope = NewDisposeScope();
            var batch = SentenceBatch.Tokens(sentences.AsSpan(start, Math.Min(Config.Model.BatchSize, sentences.Length - start)).ToArray());
            var z = PosteriorSamples(batch, rng, noise);
            using (no_grad()) nll -= model.Decoder.LogLikelihood(z, batch).sum().ToDouble();
            tokens += batch.narrow(1, 1, batch.shape[1] - 1).ne(Vocabulary.PadId).sum().ToDouble();
        }
        return nll / tokens;
    }

    /// <summary>End points of posterior chains from N(0, sigma0² I) with the training chain's step sizes.</summary>
    public Tensor PosteriorSamples(Tensor tokens, torch.Generator rng, INoiseSource noise)
    {
        var model = Trainer.Model;
        var start = randn([tokens.shape[0], model.Nz], generator: rng) * model.Sigma0;
        return LangevinSampler.Run(start, Config.Model.PosteriorStepSizes(), noise, z => model.GradLogPosterior(z, tokens));
    }

    /// <summary>End points of prior chains (K0 steps of s0) from N(0, sigma0² I).</summary>
    public Tensor PriorSamples(int count, torch.Generator rng, INoiseSource noise)
    {
        var model = Trainer.Model;
        var start = randn([count, model.Nz], generator: rng) * model.Sigma0;
        return LangevinSampler.Run(start, Config.Model.PriorSteps, Config.Model.PriorStepSize, noise, model.GradLogPrior);
    }

    /// <summary>16 greedy prior samples and 8 validation sentences above their greedy reconstructions, as text.</summary>
    private string Samples()
    {
        using var scope = NewDisposeScope();
        using var rng = new torch.Generator((ulong)Config.Model.Seed + 1);
        var noise = new GaussianNoise(rng);
        var text = new StringBuilder($"# epoch {Trainer.EpochsCompleted}: prior samples (K0 = {Config.Model.PriorSteps} Langevin steps, greedy decoding)\n");
        foreach (var s in Trainer.Model.Decoder.Decode(PriorSamples(16, rng, noise), Config.MaxWords)) text.Append(Vocabulary.Decode(s)).Append('\n');
        var shown = Validation.Sentences.Take(8).ToArray();
        var z = PosteriorSamples(SentenceBatch.Tokens(shown), rng, noise);
        var reconstructed = Trainer.Model.Decoder.Decode(z, Config.MaxWords);
        text.Append($"\n# validation sentences (>) and greedy reconstructions from the posterior chain's end (<)\n");
        for (int i = 0; i < shown.Length; i++)
            text.Append("> ").Append(Vocabulary.Decode(shown[i])).Append("\n< ").Append(Vocabulary.Decode(reconstructed[i])).Append('\n');
        return text.ToString();
    }

    private static (TextCorpus Train, TextCorpus Validation) ReadCorpora(TextRunConfig config, Vocabulary vocabulary) =>
        (TextCorpus.Read(config.TrainPath, vocabulary, config.MaxWords), TextCorpus.Read(config.ValidationPath, vocabulary, config.MaxWords));

    private static string CorpusFacts(TextCorpus train, TextCorpus validation, Vocabulary vocabulary) =>
        JsonSerializer.Serialize(new
        {
            vocabulary = vocabulary.Count,
            train = Facts(train),
            validation = Facts(validation),
        }, new JsonSerializerOptions { WriteIndented = true });

    private static object Facts(TextCorpus c) => new
    {
        path = c.Path, sentences = c.Sentences.Count, words = c.Words, max_words = c.MaxWords,
        skipped_too_long = c.SkippedTooLong, skipped_empty = c.SkippedEmpty, unknown_words = c.UnknownWords,
    };

    /// <inheritdoc />
    public void Dispose()
    {
        Trainer.Dispose();
        folderLock.Dispose();
    }
}
