using LatentEbm.Tests.Shared;
using LatentEbm.Training.Checkpoints;
using LatentEbm.Training.Runs;
using LatentEbm.Training.Text;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>Text run folders: the files written, resume equal to an uninterrupted run, and damaged or foreign state refused.</summary>
public sealed class TextTrainingRunTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), $"text-run-{Guid.NewGuid():N}");

    public TextTrainingRunTests()
    {
        TorchTestSetup.Init();
        Directory.CreateDirectory(root);
        // 24 real PTB training sentences of at most 15 words, and 8 validation ones (the reader skips the longer ones).
        File.WriteAllLines(Path.Combine(root, "train.txt"), TextCorpusLines("ptb.train.head.txt", 24));
        File.WriteAllLines(Path.Combine(root, "valid.txt"), TextCorpusLines("ptb.valid.txt", 8));
    }

    private static IEnumerable<string> TextCorpusLines(string file, int count) =>
        Data.Text.TextCorpus.Lines(Path.Combine(TestPaths.TextCorpora, file)).Where(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length is > 0 and <= 15).Take(count);

    private TextRunConfig Config(int epochs) => new()
    {
        Model = new TextTrainingSettings
        {
            Nz = 3, EmbeddingSize = 8, HiddenSize = 8, Dropout = 0.1, PriorHidden = [8], BatchSize = 8,
            PriorSteps = 3, PosteriorSteps = 3, Seed = 5,
        },
        Epochs = epochs, TrainPath = Path.Combine(root, "train.txt"), ValidationPath = Path.Combine(root, "valid.txt"),
        MaxWords = 15, ValidationSentences = 8,
    };

    private static float[] Parameters(TextTrainingRun run) =>
        [.. run.Trainer.Model.Decoder.parameters().Concat(run.Trainer.Model.Prior.parameters()).SelectMany(p => p.detach().data<float>().ToArray())];

    [Fact]
    public void ARunWritesItsFilesAndAResumedRunStartsFromItsCheckpoint()
    {
        string straight = Path.Combine(root, "straight"), split = Path.Combine(root, "split");
        float[] expected;
        using (var run = TextTrainingRun.Start(straight, Config(2)))
        {
            run.TrainToEnd();
            expected = Parameters(run);
            Assert.Equal(2, run.History.Count);
            Assert.All(run.History, m => Assert.True(double.IsFinite(m.ValidationNllPerWord) && m.ValidationNllPerWord > 0));
        }
        foreach (var file in new[] { "config.json", "vocabulary.txt", "corpus.json", "metrics.csv", "samples.txt" })
            Assert.True(File.Exists(Path.Combine(straight, file)), file);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(straight, "metrics.csv")).Length);
        Assert.Contains("prior samples", File.ReadAllText(Path.Combine(straight, "samples.txt")));

        float[] afterOne;
        using (var run = TextTrainingRun.Start(split, Config(1)))
        {
            run.TrainToEnd();
            afterOne = Parameters(run);
        }
        using (var run = TextTrainingRun.Resume(split, epochs: 2))
        {
            Assert.Equal(1, run.Trainer.EpochsCompleted);
            Assert.Equal(afterOne, Parameters(run));
            Assert.Single(run.History);
            run.TrainToEnd();
            Assert.Equal(2, run.History.Count);
        }
        // A different seed ends elsewhere: the comparison above can fail.
        using (var other = TextTrainingRun.Start(Path.Combine(root, "other"), Config(2) with { Model = Config(2).Model with { Seed = 6 } }))
        {
            other.TrainToEnd();
            Assert.NotEqual(expected, Parameters(other));
        }
    }

    [Fact]
    public void AFolderWithARunADamagedCheckpointAndAnEditedConfigAreRefusedByName()
    {
        string folder = Path.Combine(root, "run");
        using (var run = TextTrainingRun.Start(folder, Config(1))) run.TrainToEnd();
        Assert.Contains("already holds a run", Assert.Throws<RunFolderException>(() => TextTrainingRun.Start(folder, Config(1))).Message);

        string weights = Path.Combine(folder, "checkpoints", "epoch-0001", "decoder.weights");
        byte[] original = File.ReadAllBytes(weights);
        var damaged = (byte[])original.Clone();
        damaged[^1] ^= 0xFF;
        File.WriteAllBytes(weights, damaged);
        var e = Assert.Throws<CheckpointException>(() => TextTrainingRun.Resume(folder, 2));
        Assert.Contains("decoder.weights", e.Message);
        Assert.Contains("SHA-256", e.Message);
        File.WriteAllBytes(weights, original);

        string config = Path.Combine(folder, "config.json");
        File.WriteAllText(config, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(config), "\"nz\":\\s*3", "\"nz\": 4"));
        Assert.Contains("other settings", Assert.Throws<CheckpointException>(() => TextTrainingRun.Resume(folder, 2)).Message);
        Assert.Throws<RunFolderException>(() => TextTrainingRun.Resume(Path.Combine(root, "nothing-here")));
    }

    public void Dispose()
    {
        try { Directory.Delete(root, recursive: true); } catch (IOException) { }
    }
}
