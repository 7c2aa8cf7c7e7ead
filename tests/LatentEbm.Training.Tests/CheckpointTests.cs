using LatentEbm.Training.Model;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Checkpoints;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Runs;
using LatentEbm.Training.Training;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

public class CheckpointTests
{
    public CheckpointTests() => TorchTestSetup.Init();

    private static double[][] Parameters(Trainer t) => SmallRuns.Parameters(t);

    [Theory]
    [InlineData(PosteriorStart.Noise, ChainEngine.OnnxRuntime)]
    [InlineData(PosteriorStart.Encoder, ChainEngine.OnnxRuntime)]
    [InlineData(PosteriorStart.Noise, ChainEngine.Torch)]
    [InlineData(PosteriorStart.Encoder, ChainEngine.Torch)]
    public void AResumedRunEndsWithTheSameParametersAsAnUninterruptedOne(PosteriorStart start, ChainEngine engine)
    {
        var data = SmallRuns.Mnist(300);
        var config = SmallRuns.TinyConfig(3) with { PosteriorStart = start, ChainEngine = engine, EncoderHidden = [32, 16], EncoderPosteriorSteps = 3 };

        string straight = TestPaths.NewTempFolder();
        double[][] expected;
        using (var run = TrainingRun.Start(straight, config, data))
        {
            run.TrainToEnd();
            expected = Parameters(run.Trainer);
        }

        // "Kill" the second run in the middle of epoch 2: its newest checkpoint is epoch 1.
        string killed = TestPaths.NewTempFolder();
        using (var cancel = new CancellationTokenSource())
        using (var run = TrainingRun.Start(killed, config, data))
        {
            Assert.Throws<OperationCanceledException>(() =>
                run.TrainToEnd(onIteration: s => { if (s.Epoch == 2 && s.IterationInEpoch == 3) cancel.Cancel(); }, cancellation: cancel.Token));
        }
        Assert.EndsWith("epoch-0001", new CheckpointStore(killed).Latest());

        using (var resumed = TrainingRun.Resume(killed, data))
        {
            Assert.Equal(1, resumed.Trainer.EpochsCompleted);
            Assert.Equal(engine, resumed.Config.ChainEngine);
            resumed.TrainToEnd();
            var actual = Parameters(resumed.Trainer);
            Assert.Equal(start == PosteriorStart.Encoder ? 18 : 12, actual.Length);
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
            Assert.Equal(3, resumed.History.Count);
        }
        Assert.Equal(File.ReadAllLines(Path.Combine(straight, "metrics.csv")).Length, File.ReadAllLines(Path.Combine(killed, "metrics.csv")).Length);
    }

    [Fact]
    public void ACheckpointRestoresNetworksOptimisersAndEpoch()
    {
        var data = SmallRuns.Mnist(100);
        string folder = TestPaths.NewTempFolder();
        using var run = TrainingRun.Start(folder, SmallRuns.TinyConfig(2), data);
        run.TrainToEnd();
        var store = new CheckpointStore(folder);
        Assert.Equal(2, store.List().Count);

        using var fresh = new Trainer(SmallRuns.TinyConfig(2) with { Seed = 99 }, data);
        Assert.NotEqual(Parameters(run.Trainer)[0], Parameters(fresh)[0]);
        var manifest = CheckpointStore.Restore(store.Latest()!, fresh);
        Assert.Equal(2, fresh.EpochsCompleted);
        Assert.Equal(2, manifest.History.Length);
        var a = Parameters(run.Trainer);
        var b = Parameters(fresh);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
    }

    [Fact]
    public void OnlyTheNewestCheckpointsAreKeptAndLeftoversOfAKillAreSwept()
    {
        string folder = TestPaths.NewTempFolder();
        Directory.CreateDirectory(Path.Combine(folder, "checkpoints", ".tmp-left-by-a-kill"));
        using var run = TrainingRun.Start(folder, SmallRuns.TinyConfig(3) with { KeepCheckpoints = 1 }, SmallRuns.Mnist(100));
        run.TrainToEnd();
        Assert.Equal([Path.Combine(folder, "checkpoints", "epoch-0003")], Directory.GetDirectories(Path.Combine(folder, "checkpoints")));
    }

    [Fact]
    public void ResumingRefusesToGoBackInEpochsAndLeavesTheConfigAlone()
    {
        var data = SmallRuns.Mnist(100);
        string folder = TestPaths.NewTempFolder();
        using (var run = TrainingRun.Start(folder, SmallRuns.TinyConfig(2), data)) run.TrainToEnd();
        string config = File.ReadAllText(Path.Combine(folder, "config.json"));
        var error = Assert.Throws<RunFolderException>(() => TrainingRun.Resume(folder, data, epochs: 1));
        Assert.Contains("has 2 epochs done", error.Message);
        Assert.Equal(config, File.ReadAllText(Path.Combine(folder, "config.json")));
    }

    [Fact]
    public void ADamagedNewestCheckpointNamesTheWayBackToTheOneBefore()
    {
        var data = SmallRuns.Mnist(100);
        string folder = TestPaths.NewTempFolder();
        using (var run = TrainingRun.Start(folder, SmallRuns.TinyConfig(2), data)) run.TrainToEnd();
        var store = new CheckpointStore(folder);
        string newest = store.Latest()!;
        File.WriteAllText(Path.Combine(newest, "prior.adam"), "damaged");
        var error = Assert.Throws<CheckpointException>(() => TrainingRun.Resume(folder, data, epochs: 3));
        Assert.Contains($"remove {newest}", error.Message);
        Assert.Contains("SHA-256 mismatch", error.Message);
        Directory.Delete(newest, recursive: true);
        using var resumed = TrainingRun.Resume(folder, data, epochs: 3);
        Assert.Equal(1, resumed.Trainer.EpochsCompleted);
    }

    [Theory]
    [InlineData("generator.weights", "SHA-256 mismatch")]
    [InlineData("noise.state", "missing")]
    [InlineData("checkpoint.json", "unreadable manifest")]
    [InlineData("encoder.weights", "SHA-256 mismatch")]
    [InlineData("encoder.adam", "missing")]
    public void ADamagedCheckpointIsATypedErrorNamingTheFile(string file, string problem)
    {
        var data = SmallRuns.Mnist(100);
        string folder = TestPaths.NewTempFolder();
        var config = SmallRuns.TinyConfig(1) with { PosteriorStart = file.StartsWith("encoder") ? PosteriorStart.Encoder : PosteriorStart.Noise };
        using (var run = TrainingRun.Start(folder, config, data)) run.TrainToEnd();
        string checkpoint = new CheckpointStore(folder).Latest()!;
        string path = Path.Combine(checkpoint, file);
        switch (problem)
        {
            case "SHA-256 mismatch":
                var bytes = File.ReadAllBytes(path);
                bytes[^5] ^= 0xFF;
                File.WriteAllBytes(path, bytes);
                break;
            case "missing":
                File.Delete(path);
                break;
            default:
                File.WriteAllText(path, File.ReadAllText(path)[..40]);
                break;
        }
        var error = Assert.Throws<CheckpointException>(() => TrainingRun.Resume(folder, data));
        Assert.Equal(path, error.FilePath);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void DivergenceLeavesTheLastCheckpointIntactAndResumable()
    {
        var data = SmallRuns.Mnist(100);
        string folder = TestPaths.NewTempFolder();
        using (var run = TrainingRun.Start(folder, SmallRuns.TinyConfig(3), data))
        {
            var error = Assert.Throws<TrainingDivergedException>(() => run.TrainToEnd(
                onEpoch: m => { if (m.Epoch == 1) using (no_grad()) ((MlpGenerator)run.Trainer.Generator).Linears[0].weight!.fill_(double.PositiveInfinity); }));
            Assert.Equal(2, error.Epoch);
            Assert.Equal(3, error.Iteration); // 2 iterations per epoch: the first of epoch 2
        }
        var store = new CheckpointStore(folder);
        Assert.EndsWith("epoch-0001", store.Latest());
        CheckpointStore.ReadManifest(store.Latest()!);
        using var resumed = TrainingRun.Resume(folder, data);
        resumed.TrainToEnd();
        Assert.Equal(3, resumed.Trainer.EpochsCompleted);
    }

    [Fact]
    public void AFiniteButHugeEnergyStopsTrainingAndLeavesTheLastCheckpointIntact()
    {
        var data = SmallRuns.Mnist(100);
        string folder = TestPaths.NewTempFolder();
        using (var run = TrainingRun.Start(folder, SmallRuns.TinyConfig(3), data))
        {
            // f shifted by 2e6 after epoch 1: finite everywhere, but beyond anything a healthy run reaches.
            var error = Assert.Throws<TrainingDivergedException>(() => run.TrainToEnd(
                onEpoch: m => { if (m.Epoch == 1) using (no_grad()) run.Trainer.Prior.Linears[^1].bias!.fill_(2e6); }));
            Assert.Equal("mean f on posterior samples", error.Quantity);
            Assert.Equal(2e6, error.Value!.Value, 2e6 * 1e-3);
            Assert.Equal(2, error.Epoch);
            Assert.Equal(3, error.Iteration);
            Assert.Contains("iteration 3", error.Message);
        }
        var store = new CheckpointStore(folder);
        Assert.EndsWith("epoch-0001", store.Latest());
        CheckpointStore.ReadManifest(store.Latest()!);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(folder, "metrics.csv")).Length);
    }

    [Fact]
    public void ResumeAfterConfigJsonWasEditedNamesTheSettingsNotTheCheckpoint()
    {
        var data = SmallRuns.Mnist(100);
        string folder = TestPaths.NewTempFolder();
        using (var run = TrainingRun.Start(folder, SmallRuns.TinyConfig(2), data)) run.TrainToEnd();
        string configPath = Path.Combine(folder, "config.json");
        string original = File.ReadAllText(configPath);
        File.WriteAllText(configPath, original.Replace("\"nz\": 4", "\"nz\": 8").Replace("\"prior_hidden\": 16", "\"prior_hidden\": 20"));
        var checkpoints = new CheckpointStore(folder).List();

        var error = Assert.Throws<RunConfigMismatchException>(() => TrainingRun.Resume(folder, data, epochs: 3));
        Assert.Equal(configPath, error.ConfigPath);
        Assert.Equal([("nz", "4", "8"), ("prior_hidden", "16", "20")], error.Differences);
        Assert.Contains("nz is 8 in config.json but 4 in", error.Message);
        Assert.DoesNotContain("remove", error.Message);
        Assert.Equal(checkpoints, new CheckpointStore(folder).List()); // nothing blamed, nothing touched

        // With config.json set back, the same checkpoints resume.
        File.WriteAllText(configPath, original);
        using var resumed = TrainingRun.Resume(folder, data, epochs: 3);
        Assert.Equal(2, resumed.Trainer.EpochsCompleted);
    }

    [Fact]
    public void ResumeWithoutACheckpointIsAnErrorNeverAFreshRun()
    {
        var data = SmallRuns.Mnist(100);
        string folder = TestPaths.NewTempFolder();
        using (var run = TrainingRun.Start(folder, SmallRuns.TinyConfig(1), data)) run.TrainToEnd();
        string metrics = File.ReadAllText(Path.Combine(folder, "metrics.csv"));
        Directory.Delete(Path.Combine(folder, "checkpoints"), recursive: true);

        var error = Assert.Throws<RunFolderException>(() => TrainingRun.Resume(folder, data, epochs: 2));
        Assert.Contains("no checkpoint to resume from", error.Message);
        Assert.Equal(folder, error.Folder);
        Assert.Equal(metrics, File.ReadAllText(Path.Combine(folder, "metrics.csv")));
        Assert.False(Directory.Exists(Path.Combine(folder, "checkpoints")));
    }

    [Fact]
    public void ASecondRunInAFolderBeingTrainedIsRefusedNamingTheFolder()
    {
        var data = SmallRuns.Mnist(100);
        string folder = TestPaths.NewTempFolder();
        using (var first = TrainingRun.Start(folder, SmallRuns.TinyConfig(2), data))
        {
            first.TrainToEnd();
            var resume = Assert.Throws<RunFolderException>(() => TrainingRun.Resume(folder, data, epochs: 3));
            Assert.Equal(folder, resume.Folder);
            Assert.Contains("being trained by another process", resume.Message);
            var fresh = Assert.Throws<RunFolderException>(() => TrainingRun.Start(folder, SmallRuns.TinyConfig(2), data));
            Assert.Contains("being trained by another process", fresh.Message);
            Assert.Equal(2, new CheckpointStore(folder).List().Count);
        }
        // Released with the run (and by the OS when a process dies): the folder can be resumed again.
        using var resumed = TrainingRun.Resume(folder, data, epochs: 3);
        Assert.Equal(2, resumed.Trainer.EpochsCompleted);
    }

    [Fact]
    public void CheckpointsAreOrderedByEpochNumberPastEpoch9999()
    {
        string folder = TestPaths.NewTempFolder();
        var store = new CheckpointStore(folder);
        foreach (var name in new[] { "epoch-9998", "epoch-10000", "epoch-9999", "epoch-10001", "epoch-banana" })
        {
            Directory.CreateDirectory(Path.Combine(store.Folder, name));
            File.WriteAllText(Path.Combine(store.Folder, name, "checkpoint.json"), "{}");
        }
        Assert.Equal(["epoch-9998", "epoch-9999", "epoch-10000", "epoch-10001"], store.List().Select(Path.GetFileName));
        Assert.EndsWith("epoch-10001", store.Latest());
    }

    [Fact]
    public void ANewRunRefusesAFolderThatHoldsOne()
    {
        var data = SmallRuns.Mnist(100);
        string folder = TestPaths.NewTempFolder();
        using (TrainingRun.Start(folder, SmallRuns.TinyConfig(1), data)) { }
        var error = Assert.Throws<RunFolderException>(() => TrainingRun.Start(folder, SmallRuns.TinyConfig(1), data));
        Assert.Contains("--resume", error.Message);
    }
}
