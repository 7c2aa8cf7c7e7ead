using LatentEbm.Tests.Shared;
using LatentEbm.Training.Checkpoints;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Runs;
using LatentEbm.Training.Training;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>Training with the chains on ONNX Runtime (<see cref="TrainingConfig.ChainEngine"/> <c>onnx_runtime</c>).</summary>
public class ChainEngineTrainingTests
{
    public ChainEngineTrainingTests() => TorchTestSetup.Init();

    private static double[][] Parameters(Trainer t) => SmallRuns.Parameters(t);

    // CheckpointTests covers the default (onnx_runtime, noise starts).
    [Theory]
    [InlineData(PosteriorStart.Encoder, ChainEngine.OnnxRuntime)]
    [InlineData(PosteriorStart.Noise, ChainEngine.Torch)]
    [InlineData(PosteriorStart.Encoder, ChainEngine.Torch)]
    public void AResumedRunEndsBitForBitWithTheSameParametersAsAnUninterruptedOne(PosteriorStart start, ChainEngine engine)
    {
        var data = SmallRuns.Mnist(300);
        var config = SmallRuns.TinyConfig(3) with { ChainEngine = engine, PosteriorStart = start, EncoderHidden = [64, 32] };

        string straight = TestPaths.NewTempFolder();
        double[][] expected;
        using (var run = TrainingRun.Start(straight, config, data))
        {
            run.TrainToEnd();
            expected = Parameters(run.Trainer);
        }

        string killed = TestPaths.NewTempFolder();
        using (var cancel = new CancellationTokenSource())
        using (var run = TrainingRun.Start(killed, config, data))
        {
            Assert.Throws<OperationCanceledException>(() =>
                run.TrainToEnd(onIteration: s => { if (s.Epoch == 2 && s.IterationInEpoch == 3) cancel.Cancel(); }, cancellation: cancel.Token));
        }
        Assert.EndsWith("epoch-0001", new CheckpointStore(killed).Latest());

        using var resumed = TrainingRun.Resume(killed, data);
        Assert.Equal(engine, resumed.Config.ChainEngine);
        resumed.TrainToEnd();
        var actual = Parameters(resumed.Trainer);
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    [Fact]
    public void BothEnginesRunTheSameIterationUpToFloatRounding()
    {
        // The default networks and chains, the same seed, images and noise stream (K draws of [B, nz] equal one [K, B, nz]
        // draw when B·nz is a multiple of 16: torch fills normals in blocks of 16), so only float32 rounding differs. The first
        // iteration's statistics come from both chains' end points before any update.
        var config = new TrainingConfig { BatchSize = 100, Epochs = 1, Seed = 4 };
        var data = SmallRuns.Mnist(200);
        List<IterationStats> Train(ChainEngine engine)
        {
            using var trainer = new Trainer(config with { ChainEngine = engine }, data);
            var stats = new List<IterationStats>();
            trainer.RunEpoch(stats.Add);
            return stats;
        }
        var torchSide = Train(ChainEngine.Torch);
        var onnxSide = Train(ChainEngine.OnnxRuntime);
        static double Relative(double a, double b) => Math.Abs(a - b) / Math.Max(Math.Abs(a), 1e-3);
        foreach (var (t, o) in torchSide.Zip(onnxSide))
        {
            double bound = t.Iteration == 1 ? 1e-5 : 1e-4;
            Assert.True(Relative(t.ReconstructionMse, o.ReconstructionMse) < bound, $"iteration {t.Iteration}: reconstruction MSE {t.ReconstructionMse} (torch) against {o.ReconstructionMse} (onnx_runtime)");
            Assert.True(Relative(t.FPosterior, o.FPosterior) < bound, $"iteration {t.Iteration}: mean f on posterior samples {t.FPosterior} against {o.FPosterior}");
            Assert.True(Relative(t.FPrior, o.FPrior) < bound, $"iteration {t.Iteration}: mean f on prior samples {t.FPrior} against {o.FPrior}");
        }
    }

    [Fact]
    public void AConfigWithoutAChainEngineReadsAsTorchAndBadCombinationsAreRefused()
    {
        var config = new TrainingConfig();
        Assert.Equal(ChainEngine.OnnxRuntime, config.ChainEngine); // the default, by measurement (docs/benchmarks.md)
        Assert.Equal(ChainEngine.OnnxRuntime, TrainingConfig.FromJson(config.ToJson()).ChainEngine);
        Assert.Contains("\"chain_engine\": \"onnx_runtime\"", config.ToJson());
        string old = string.Join('\n', config.ToJson().Split('\n').Where(l => !l.Contains("\"chain_engine\"")));
        Assert.Equal(ChainEngine.Torch, TrainingConfig.FromJson(old).ChainEngine);

        Assert.Contains("float32 chains", Assert.Throws<ArgumentException>(() => (config with { ChainPrecision = ChainPrecision.Bfloat16 }).Validate()).Message);
        Assert.Contains("chain_engine must be one of torch, onnx_runtime", Assert.Throws<ArgumentException>(() => (config with { ChainEngine = (ChainEngine)7 }).Validate()).Message);
    }
}
