using LatentEbm.Training.Model;
using LatentEbm.Training.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

public class LangevinPropertyTests
{
    public LangevinPropertyTests() => TorchTestSetup.Init();

    private static PriorEnergyMlp ZeroPrior(int nz)
    {
        var prior = new PriorEnergyMlp([nz, 8, 1], "gelu");
        prior.to(float64);
        using (no_grad()) foreach (var p in prior.parameters()) p.zero_();
        return prior;
    }

    [Fact]
    public void WithFZeroThePriorChainIsAnAr1ProcessWithItsStationaryMoments()
    {
        // f = 0: z' = a z + s eps with a = 1 - s^2 / (2 sigma0^2); stationary mean 0 and variance
        // s^2 / (1 - a^2) (= 1.1905 for s = 0.8, sigma0 = 1: the discretised chain is not N(0, 1)).
        const double s = 0.8, sigma0 = 1.0;
        double a = 1 - s * s / (2 * sigma0 * sigma0), variance = s * s / (1 - a * a);
        using var prior = ZeroPrior(2);
        var model = new LatentEbmModel(prior, nn.Identity(), 2, sigma: 1, sigma0);
        using var rng = new torch.Generator(123);
        var z = LangevinSampler.PriorChain(model, zeros(20_000, 2, dtype: float64), 200, s, new GaussianNoise(rng));

        double mean = z.mean().item<double>(), var = z.var().item<double>();
        double n = z.numel();
        Assert.InRange(mean, -4 * Math.Sqrt(variance / n), 4 * Math.Sqrt(variance / n));
        double se = variance * Math.Sqrt(2 / n);
        Assert.InRange(var, variance - 4.5 * se, variance + 4.5 * se);
        // ...and lag-1 autocorrelation a: one more step from z.
        var z1 = LangevinSampler.PriorChain(model, z, 1, s, new GaussianNoise(rng));
        double lag1 = ((z * z1).mean() / z.var()).item<double>();
        Assert.InRange(lag1, a - 0.02, a + 0.02);
    }

    [Fact]
    public void WithoutNoiseAndFZeroTheChainContractsDeterministically()
    {
        using var prior = ZeroPrior(3);
        var model = new LatentEbmModel(prior, nn.Identity(), 3, sigma: 1, sigma0: 2);
        var z0 = tensor(new double[] { 1, -2, 3 }, [1, 3]);
        var zK = LangevinSampler.PriorChain(model, z0, 5, 0.5, noise: null);
        double a = 1 - 0.25 / (2 * 4);
        Assert.Equal(new[] { 1, -2, 3 }.Select(v => v * Math.Pow(a, 5)).ToArray(), zK.data<double>().ToArray(), new ToleranceComparer(1e-12));
        Assert.Equal(new double[] { 1, -2, 3 }, z0.data<double>().ToArray()); // the start is not modified
    }

    [Theory]
    [InlineData("leaky_relu", 3)]
    [InlineData("gelu", 5)]
    public void GradientsMatchCentralDifferencesOfTheLogDensities(string activation, int nz)
    {
        torch.manual_seed(nz);
        using var prior = new PriorEnergyMlp([nz, 16, 16, 1], activation);
        using var generator = new MlpGenerator(nz, [12], 1, 3, 4);
        prior.to(float64);
        generator.to(float64);
        const double sigma = 0.3, sigma0 = 1.5;
        var model = new LatentEbmModel(prior, generator, nz, sigma, sigma0);
        var z = randn(4, nz, dtype: float64);
        var x = rand(4, 1, 3, 4, dtype: float64) * 2 - 1;

        Func<Tensor, Tensor> logPrior = zz => prior.forward(zz) - zz.square().sum(1) / (2 * sigma0 * sigma0);
        Func<Tensor, Tensor> logPosterior = zz => logPrior(zz) - (x - generator.forward(zz)).square().flatten(1).sum(1) / (2 * sigma * sigma);
        var gradPrior = model.GradLogPrior(z);
        var gradPosterior = model.GradLogPosterior(x, z);
        using (no_grad())
        {
            const double h = 1e-6;
            for (int j = 0; j < nz; j++)
            {
                var e = zeros_like(z);
                e[.., j] = h;
                var fdPrior = (logPrior(z + e) - logPrior(z - e)) / (2 * h);
                var fdPosterior = (logPosterior(z + e) - logPosterior(z - e)) / (2 * h);
                Assert.True((fdPrior - gradPrior[.., j]).abs().max().item<double>() < 1e-6, $"prior dz{j}");
                Assert.True((fdPosterior - gradPosterior[.., j]).abs().max().item<double>() < 1e-5, $"posterior dz{j}");
            }
        }
        // The gradient is a function of z, not frozen.
        Assert.True((model.GradLogPrior(z + 0.5) - gradPrior).abs().max().item<double>() > 1e-3);
    }

    [Theory]
    [InlineData("leaky_relu")]
    [InlineData("gelu")]
    public void AnalyticInputGradientsEqualAutogradOnes(string activation)
    {
        torch.manual_seed(7);
        const int nz = 6;
        using var prior = new PriorEnergyMlp([nz, 20, 20, 1], activation);
        using var generator = new MlpGenerator(nz, [24, 32], 1, 4, 5);
        prior.to(float64);
        generator.to(float64);
        var model = new LatentEbmModel(prior, generator, nz, sigma: 0.3, sigma0: 1.2);
        var z = randn(9, nz, dtype: float64) * 2;
        var x = rand(9, 1, 4, 5, dtype: float64) * 2 - 1;
        Assert.Equal(InputGradientMethod.Autograd, model.GradientMethod); // the default: fastest in float32
        model.GradientMethod = InputGradientMethod.Analytic;
        var analytic = (model.GradLogPrior(z), model.GradLogPosterior(x, z));
        model.GradientMethod = InputGradientMethod.Autograd;
        var reference = (model.GradLogPrior(z), model.GradLogPosterior(x, z));
        Assert.True((analytic.Item1 - reference.Item1).abs().max().item<double>() < 1e-12 * reference.Item1.abs().max().item<double>());
        Assert.True((analytic.Item2 - reference.Item2).abs().max().item<double>() < 1e-12 * reference.Item2.abs().max().item<double>());
        // No parameter picked up a gradient or an autograd graph.
        Assert.All(prior.parameters().Concat(generator.parameters()), p => Assert.True(p.grad is null));
        Assert.False(analytic.Item2.requires_grad);
    }

    [Fact]
    public void ASingleLayerPriorTakesTheGeneralAnalyticPath()
    {
        torch.manual_seed(3);
        using var prior = new PriorEnergyMlp([4, 1], "gelu");
        prior.to(float64);
        var model = new LatentEbmModel(prior, nn.Identity(), 4, sigma: 1, sigma0: 2) { GradientMethod = InputGradientMethod.Analytic };
        var z = randn(5, 4, dtype: float64);
        // f(z) = w·z + b: ∇ log p = w - z / sigma0^2.
        var expected = prior.Linears[0].weight!.expand(5, 4) - z / 4;
        Assert.True((model.GradLogPrior(z) - expected).abs().max().item<double>() < 1e-14);
    }

    [Fact]
    public void AnalyticGradientIsRefusedForANetworkWithoutOne()
    {
        var model = new LatentEbmModel(nn.Linear(3, 1), nn.Identity(), 3, sigma: 1, sigma0: 1);
        Assert.Equal(InputGradientMethod.Autograd, model.GradientMethod);
        Assert.Throws<NotSupportedException>(() => model.GradientMethod = InputGradientMethod.Analytic);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(double v) => 0;
    }
}
