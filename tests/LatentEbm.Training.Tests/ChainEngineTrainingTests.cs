using LatentEbm.Tests.Shared;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Training;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>Training with the chains on ONNX Runtime (<see cref="TrainingConfig.ChainEngine"/> <c>onnx_runtime</c>).</summary>
public class ChainEngineTrainingTests
{
    public ChainEngineTrainingTests() => TorchTestSetup.Init();

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
