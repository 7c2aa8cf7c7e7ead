using LatentEbm.Data.Datasets;
using LatentEbm.Inference.Runtime;
using LatentEbm.Pipelines.Evaluation;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Inference.Tests;

public class LatentEbmInferenceTests
{
    private static string DefaultBundle => Path.Combine(TestPaths.RepositoryRoot, "models", "mnist-digit4");

    private static readonly Lazy<LatentEbmInference> Model = new(() =>
        LatentEbmInference.Open(DefaultBundle, new ExecutionOptions(ExecutionProvider.Cpu, IntraOpThreads: 1)));

    private static readonly Lazy<LabeledImages> Mnist = new(() => ImageDatasets.LoadAll(TestPaths.Mnist));

    private static float[] Images(int first, int count) => Mnist.Value.Pixels.AsSpan(first * 784, count * 784).ToArray();

    [Fact]
    public void CudaRequestedWithoutCudaIsAClearErrorAndAutoFallsBackToCpu()
    {
        var error = Assert.Throws<ExecutionProviderException>(() => LatentEbmInference.Open(DefaultBundle, new ExecutionOptions(ExecutionProvider.Cuda)));
        Assert.Contains("CUDA execution provider cannot run on device 0", error.Message);
        using var auto = LatentEbmInference.Open(DefaultBundle, new ExecutionOptions(ExecutionProvider.Auto));
        Assert.Equal(ExecutionProvider.Cpu, auto.Provider.Provider);
        Assert.Contains("CUDA unavailable", auto.Provider.Reason);
        Assert.Equal(16, auto.Nz);
    }

    [Fact]
    public void TheSameSeedGivesTheSameAnswerAndAnotherSeedAnother()
    {
        var a = Model.Value.SamplePrior(8, seed: 7);
        var b = Model.Value.SamplePrior(8, seed: 7);
        var c = Model.Value.SamplePrior(8, seed: 8);
        Assert.Equal(a.Latents, b.Latents);
        Assert.Equal(a.Images, b.Images);
        Assert.NotEqual(a.Latents, c.Latents);
        Assert.NotEqual(a.Latents, Model.Value.SamplePrior(8, seed: -7).Latents); // every seed its own stream
        Assert.Equal(8 * 784, a.Images!.Length);
        Assert.Null(Model.Value.SamplePrior(2, 1, decode: false).Images);

        var x = Images(0, 4);
        var noisy = new ChainSettings(Noise: true);
        Assert.Equal(Model.Value.Score(x, 4, 3, noisy), Model.Value.Score(x, 4, 3, noisy));
        Assert.NotEqual(Model.Value.Score(x, 4, 3, noisy), Model.Value.Score(x, 4, 4, noisy));
    }

    [Fact]
    public void ParallelCallsGiveTheSameAnswersAsSerialOnes()
    {
        var x = Images(100, 16);
        var serial = Enumerable.Range(0, 12).Select(seed => Model.Value.Score(x, 16, seed)).ToArray();
        var parallel = new float[12][];
        Parallel.For(0, 12, new ParallelOptions { MaxDegreeOfParallelism = 4 }, seed => parallel[seed] = Model.Value.Score(x, 16, seed));
        for (int i = 0; i < 12; i++) Assert.Equal(serial[i], parallel[i]);
    }

    [Fact]
    public void ABatchOfRequestsEqualsEachRequestAlone()
    {
        // Micro-batching concatenates rows; every request keeps its own seed's draws (noise on here).
        var m = Model.Value;
        var chain = new ChainSettings(Noise: true, Rounds: 2);
        ImageRequest[] requests = [new(Images(0, 3), 3, 11), new(Images(3, 1), 1, 12), new(Images(4, 5), 5, 13)];
        var batched = m.ScoreBatch(requests, chain);
        for (int i = 0; i < requests.Length; i++)
            AssertClose(m.Score(requests[i].Images, requests[i].Count, requests[i].Seed, chain), batched[i]);
        var samples = m.SamplePriorBatch([new SampleRequest(2, 1), new SampleRequest(3, 2)]);
        AssertClose(m.SamplePrior(3, 2).Latents, samples[1].Latents);
        AssertClose(m.SamplePrior(3, 2).Images!, samples[1].Images!);
    }

    private static void AssertClose(float[] expected, float[] actual) => FloatAsserts.AssertClose(expected, actual);

    [Fact]
    public void MoreRoundsOfThePosteriorChainReconstructBetter()
    {
        var x = Images(200, 32);
        double Mse(float[] r) => r.Select((v, i) => (double)(v - x[i]) * (v - x[i])).Average();
        double one = Mse(Model.Value.Reconstruct(x, 32, 1)), three = Mse(Model.Value.Reconstruct(x, 32, 1, new ChainSettings(Rounds: 3)));
        Assert.True(three < one, $"MSE {three} after 3 rounds, {one} after 1");
        Assert.True(one < 0.1, $"reconstruction MSE {one} on [-1, 1] pixels");
    }

    [Theory]
    [InlineData("length")]
    [InlineData("nan")]
    [InlineData("count")]
    [InlineData("step")]
    [InlineData("rounds")]
    public void BadInputNamesTheField(string what)
    {
        var m = Model.Value;
        var x = Images(0, 2);
        ArgumentException error = what switch
        {
            "length" => Assert.Throws<ArgumentException>(() => m.Score(x[..^1], 2, 0)),
            "nan" => Assert.Throws<ArgumentException>(() => { x[900] = float.NaN; m.Score(x, 2, 0); }),
            "count" => Assert.Throws<ArgumentOutOfRangeException>(() => m.SamplePrior(LatentEbmInference.MaxBatch + 1, 0)),
            "step" => Assert.Throws<ArgumentOutOfRangeException>(() => m.SamplePrior(1, 0, stepSize: 0)),
            _ => Assert.Throws<ArgumentOutOfRangeException>(() => m.Score(x, 2, 0, new ChainSettings(Rounds: 11))),
        };
        string expected = what switch { "length" or "nan" => "images", "count" => "count", "step" => "stepSize", _ => "Rounds" };
        Assert.Equal(expected, error.ParamName);
        if (what == "nan") Assert.Contains("images[1][116] is NaN", error.Message);
    }

    [Fact]
    public void ScoringTheDigit4TestSplitReproducesTheBundlesAuprc()
    {
        // The manifest quotes the ML.NET job's measurement (evaluate anomaly --record): row i scored from
        // stream i of the chain seed. The library alone, in other batches, gives the same number.
        var manifest = Model.Value.Manifest;
        var split = AnomalySplit.Create(Mnist.Value, manifest.Training.HoldoutDigit!.Value, manifest.Training.SplitSeed);
        var test = Mnist.Value.Select(split.TestIndices);
        int seed = manifest.Metrics["chain_seed"].GetInt32();
        var scores = new double[test.Count];
        for (int start = 0; start < test.Count; start += LatentEbmInference.MaxBatch)
        {
            int n = Math.Min(LatentEbmInference.MaxBatch, test.Count - start);
            var chunk = Model.Value.ScoreBatch([new ImageRequest(test.Pixels.AsSpan(start * 784, n * 784).ToArray(), n, seed, FirstStream: start)])[0];
            for (int i = 0; i < n; i++) scores[start + i] = chunk[i];
        }
        var metrics = AnomalyRankingMetrics.Compute([.. split.TestAnomalyLabels], scores);
        Assert.Equal(manifest.Metrics["pr_auc"].GetDouble(), metrics.PrAuc, 1e-5);
        Assert.Equal(manifest.Metrics["average_precision"].GetDouble(), metrics.AveragePrecision, 1e-5);
    }
}
