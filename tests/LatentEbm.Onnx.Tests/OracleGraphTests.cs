using LatentEbm.Onnx.Graphs;

namespace LatentEbm.Onnx.Tests;

/// <summary>
/// The builder alone, fed the oracle's weights, reproduces PyTorch float64 autograd under ONNX Runtime.
/// Tolerances are float32's: relative 1e-5 for single evaluations, 1e-4 for whole chains.
/// </summary>
public class OracleGraphTests
{
    private const double Single = 1e-5, Chain = 1e-4;

    public static TheoryData<string, int, ChainForm> PriorCases()
    {
        var cases = new TheoryData<string, int, ChainForm>();
        foreach (var file in OracleSpec.Files)
            foreach (var form in new[] { ChainForm.Unrolled, ChainForm.Loop })
                for (int index = 0; index < 2; index++) cases.Add(file, index, form);
        return cases;
    }

    public static TheoryData<string, ChainForm> PosteriorCases()
    {
        var cases = new TheoryData<string, ChainForm>();
        foreach (var file in OracleSpec.Files)
            foreach (var form in new[] { ChainForm.Unrolled, ChainForm.Loop }) cases.Add(file, form);
        return cases;
    }

    [Fact]
    public void TheOraclesCoverSigma0OfOneAndAnother()
    {
        Assert.Equal([1.0, 1.5], OracleSpec.Files.Select(f => OracleSpec.Root(f).GetProperty("posterior").GetProperty("sigma0").GetDouble()));
        Assert.All(OracleSpec.Root("langevin_sigma0_cases.json").GetProperty("prior").EnumerateArray(), c => Assert.Equal(1.5, c.GetProperty("sigma0").GetDouble()));
    }

    [Theory]
    [MemberData(nameof(PriorCases))]
    public void PriorEnergyGradientAndChainMatchPyTorch(string file, int index, ChainForm form)
    {
        var c = OracleSpec.Root(file).GetProperty("prior")[index];
        var spec = OracleSpec.PriorOnly(c);
        var z0 = c.GetProperty("z0");
        var zIn = ("z", OracleSpec.Floats(z0), OracleSpec.Dims(z0));

        var f = Ort.Run(LatentEbmGraphs.PriorEnergy(spec), zIn)["f"];
        Assert.True(Ort.RelativeError(f.Data, OracleSpec.Flat(c.GetProperty("f_z0"))) < Single);
        var grad = Ort.Run(LatentEbmGraphs.PriorEnergyGrad(spec), zIn);
        Assert.True(Ort.RelativeError(grad["grad_z"].Data, OracleSpec.Flat(c.GetProperty("grad_f_z0"))) < Single);
        Assert.True(Ort.RelativeError(grad["f"].Data, OracleSpec.Flat(c.GetProperty("f_z0"))) < Single);

        int steps = c.GetProperty("steps").GetInt32();
        var noise = c.GetProperty("noise");
        var zK = Ort.Run(LatentEbmGraphs.PriorLangevin(spec, steps, form), zIn,
            ("noise", OracleSpec.Floats(noise), OracleSpec.Dims(noise)), ("step_size", [(float)c.GetProperty("step_size").GetDouble()], []))["z_out"];
        double err = Ort.RelativeError(zK.Data, OracleSpec.Flat(c.GetProperty("zK")));
        Assert.True(err < Chain, $"zK relative error {err:E2}");
    }

    [Theory]
    [MemberData(nameof(PosteriorCases))]
    public void DecoderPosteriorGradientAndChainMatchPyTorch(string file, ChainForm form)
    {
        var c = OracleSpec.Root(file).GetProperty("posterior");
        var spec = OracleSpec.Posterior(c);
        var x = c.GetProperty("x");
        var z0 = c.GetProperty("z0");
        var xIn = ("x", OracleSpec.Floats(x), OracleSpec.Dims(x));
        var zIn = ("z", OracleSpec.Floats(z0), OracleSpec.Dims(z0));

        var g = Ort.Run(LatentEbmGraphs.Decoder(spec), zIn)["x"];
        Assert.Equal([2, 1, 8, 8], g.Dims);
        Assert.True(Ort.RelativeError(g.Data, OracleSpec.Flat(c.GetProperty("g_z0"))) < Single);
        var grad = Ort.Run(LatentEbmGraphs.PosteriorGrad(spec), xIn, zIn)["grad_z"];
        double gradErr = Ort.RelativeError(grad.Data, OracleSpec.Flat(c.GetProperty("grad_log_posterior_z0")));
        Assert.True(gradErr < Single, $"posterior gradient relative error {gradErr:E2}");

        int steps = c.GetProperty("steps").GetInt32();
        var noise = c.GetProperty("noise");
        var zK = Ort.Run(LatentEbmGraphs.PosteriorLangevin(spec, steps, form), xIn, zIn,
            ("noise", OracleSpec.Floats(noise), OracleSpec.Dims(noise)), ("step_size", [(float)c.GetProperty("step_size").GetDouble()], []))["z_out"];
        double err = Ort.RelativeError(zK.Data, OracleSpec.Flat(c.GetProperty("zK")));
        Assert.True(err < Chain, $"zK relative error {err:E2}");
    }
}
