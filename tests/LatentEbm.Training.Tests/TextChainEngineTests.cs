using LatentEbm.Training.Configuration;
using LatentEbm.Training.Text;

namespace LatentEbm.Training.Tests;

/// <summary>Text training with the posterior chain on ONNX Runtime (<see cref="TextRunConfig.ChainEngine"/> <c>onnx_runtime</c>).</summary>
public class TextChainEngineTests
{
    public TextChainEngineTests() => TorchTestSetup.Init();

    [Fact]
    public void BothEnginesRunTheSameFirstIterationAndTheOnnxEngineTrains()
    {
        // The same seed, sentences and noise stream (K draws of [B, nz] equal one [K, B, nz] draw: B·nz = 32 is a multiple of
        // 16), so the first iteration's chain end points differ by float32 rounding only; its metrics are measured there,
        // before any update.
        var (vocabulary, sentences) = TextTrainerTests.Corpus.Value;
        List<TextIterationMetrics> Train(ChainEngine engine)
        {
            using var trainer = new TextTrainer(TextTrainerTests.Tiny, vocabulary.Count, sentences, engine);
            Assert.Equal(engine, trainer.ChainEngine);
            return [.. Enumerable.Range(0, 4).Select(_ => trainer.Step())];
        }
        var torchSide = Train(ChainEngine.Torch);
        var onnxSide = Train(ChainEngine.OnnxRuntime);
        static double Relative(double a, double b) => Math.Abs(a - b) / Math.Max(Math.Abs(a), 1e-3);
        var (t, o) = (torchSide[0], onnxSide[0]);
        Assert.True(Relative(t.LogLikelihood, o.LogLikelihood) < 1e-5, $"log-likelihood at the posterior samples {t.LogLikelihood} (torch) against {o.LogLikelihood} (onnx_runtime)");
        Assert.True(Relative(t.PosteriorF, o.PosteriorF) < 1e-5, $"f at the posterior samples {t.PosteriorF} against {o.PosteriorF}");
        Assert.Equal(t.PriorF, o.PriorF); // the prior chain runs in TorchSharp on both engines
        foreach (var (i, (a, b)) in torchSide.Zip(onnxSide).Index().Skip(1))
        {
            Assert.True(double.IsFinite(b.LogLikelihood) && double.IsFinite(b.PosteriorF) && double.IsFinite(b.PriorF), $"iteration {i + 1}: {b}");
            Assert.True(Relative(a.LogLikelihood, b.LogLikelihood) < 1e-4 && Relative(a.PosteriorF, b.PosteriorF) < 1e-4, $"iteration {i + 1}: {a} (torch) against {b} (onnx_runtime)");
        }

        // Another seed (other initial weights, batch and noise) moves f at the first iteration's posterior samples far more.
        using var other = new TextTrainer(TextTrainerTests.Tiny with { Seed = 4 }, vocabulary.Count, sentences, ChainEngine.OnnxRuntime);
        var elsewhere = other.Step();
        Assert.True(Relative(t.PosteriorF, elsewhere.PosteriorF) > 1e-2, $"seed 4: f at the posterior samples {elsewhere.PosteriorF} against {t.PosteriorF}");
    }

    [Fact]
    public void TheRunConfigRecordsTheEngineAndAnOldConfigReadsAsTorch()
    {
        var config = new TextRunConfig { TrainPath = "/a/train.txt", ValidationPath = "/a/valid.txt" };
        Assert.Equal(ChainEngine.OnnxRuntime, config.ChainEngine);
        Assert.Contains("\"chain_engine\": \"onnx_runtime\"", config.ToJson());
        Assert.Equal(ChainEngine.Torch, TextRunConfig.FromJson((config with { ChainEngine = ChainEngine.Torch }).ToJson()).ChainEngine);
        Assert.Equal(ChainEngine.OnnxRuntime, TextRunConfig.FromJson(config.ToJson()).ChainEngine);
        string old = string.Join('\n', config.ToJson().Split('\n').Where(l => !l.Contains("\"chain_engine\"")));
        Assert.Equal(ChainEngine.Torch, TextRunConfig.FromJson(old).ChainEngine);
        Assert.Equal(config.ShapeKey(), (config with { ChainEngine = ChainEngine.Torch }).ShapeKey()); // a run may resume on the other engine

        Assert.Contains("chain_engine must be one of torch, onnx_runtime", Assert.Throws<ArgumentException>(() => (config with { ChainEngine = (ChainEngine)7 }).Validate()).Message);
        var (vocabulary, sentences) = TextTrainerTests.Corpus.Value;
        Assert.Contains("chain_engine", Assert.Throws<ArgumentException>(() => new TextTrainer(TextTrainerTests.Tiny, vocabulary.Count, sentences, (ChainEngine)7)).Message);
    }
}
