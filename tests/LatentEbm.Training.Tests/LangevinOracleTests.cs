using LatentEbm.Training.Model;
using LatentEbm.Training.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Tests;

/// <summary>Chains and gradients against PyTorch float64 autograd (tests/fixtures/langevin_cases.json).</summary>
public class LangevinOracleTests
{
    private const double Tolerance = 1e-10;

    public LangevinOracleTests() => TorchTestSetup.Init();

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance = Tolerance)
    {
        Assert.Equal(expected.shape, actual.shape);
        double err = (expected - actual).abs().max().item<double>();
        Assert.True(err <= tolerance, $"max abs error {err:E3} > {tolerance:E1}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void PriorChainMatchesPyTorch(int index)
    {
        var c = OracleModels.Root.GetProperty("prior")[index];
        using var prior = OracleModels.Prior(c);
        double sigma0 = c.GetProperty("sigma0").GetDouble();
        var model = new LatentEbmModel(prior, nn.Identity(), (int)prior.Widths[0], sigma: 1, sigma0);
        var z0 = OracleModels.Tensor(c.GetProperty("z0"));

        AssertClose(OracleModels.Tensor(c.GetProperty("f_z0")), prior.forward(z0).detach());
        var gradLogPrior = model.GradLogPrior(z0);
        AssertClose(OracleModels.Tensor(c.GetProperty("grad_f_z0")), gradLogPrior + z0 / (sigma0 * sigma0));

        var zK = LangevinSampler.PriorChain(model, z0, c.GetProperty("steps").GetInt32(), c.GetProperty("step_size").GetDouble(),
            new ScriptedNoise(OracleModels.Tensor(c.GetProperty("noise"))));
        AssertClose(OracleModels.Tensor(c.GetProperty("zK")), zK);
    }

    [Fact]
    public void PosteriorChainMatchesPyTorch()
    {
        var c = OracleModels.Root.GetProperty("posterior");
        using var prior = OracleModels.Prior(c.GetProperty("energy_mlp"));
        int nz = prior.Widths[0];
        var decoder = OracleModels.Decoder(c.GetProperty("decoder"), nz);
        var model = new LatentEbmModel(prior, decoder, nz, c.GetProperty("sigma").GetDouble(), c.GetProperty("sigma0").GetDouble());
        var x = OracleModels.Tensor(c.GetProperty("x"));
        var z0 = OracleModels.Tensor(c.GetProperty("z0"));

        AssertClose(OracleModels.Tensor(c.GetProperty("g_z0")), decoder.forward(z0).detach());
        AssertClose(OracleModels.Tensor(c.GetProperty("grad_log_posterior_z0")), model.GradLogPosterior(x, z0));
        var zK = LangevinSampler.PosteriorChain(model, x, z0, c.GetProperty("steps").GetInt32(), c.GetProperty("step_size").GetDouble(),
            new ScriptedNoise(OracleModels.Tensor(c.GetProperty("noise"))));
        AssertClose(OracleModels.Tensor(c.GetProperty("zK")), zK);
    }
}
