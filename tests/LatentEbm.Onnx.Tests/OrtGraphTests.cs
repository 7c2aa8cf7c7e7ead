using LatentEbm.Inference.Runtime;
using LatentEbm.Onnx.Graphs;

namespace LatentEbm.Onnx.Tests;

/// <summary>
/// The inference library's ONNX Runtime runner (<see cref="OrtGraph"/>) on the oracle's prior chain: values against the
/// PyTorch float64 reference, concurrent runs of one session, and inputs that do not fit refused by name before ONNX
/// Runtime sees them.
/// </summary>
public class OrtGraphTests
{
    private static readonly System.Text.Json.JsonElement Case = OracleSpec.Root("langevin_cases.json").GetProperty("prior")[0];

    private static OrtGraph Chain() => Ort.Session(LatentEbmGraphs.PriorLangevin(OracleSpec.PriorOnly(Case), Case.GetProperty("steps").GetInt32(), ChainForm.Loop));

    private static GraphInput Z() => GraphInput.Float32("z", OracleSpec.Floats(Case.GetProperty("z0")), Shape(Case.GetProperty("z0")));

    private static GraphInput Noise() => GraphInput.Float32("noise", OracleSpec.Floats(Case.GetProperty("noise")), Shape(Case.GetProperty("noise")));

    private static GraphInput StepSize() => GraphInput.Float32("step_size", new[] { (float)Case.GetProperty("step_size").GetDouble() });

    private static long[] Shape(System.Text.Json.JsonElement e) => [.. OracleSpec.Dims(e).Select(d => (long)d)];

    [Fact]
    public void RunsTheChainToTheFloat64ReferenceWithItsShape()
    {
        using var graph = Chain();
        Assert.Equal(["z", "noise", "step_size"], graph.InputNames);
        var outputs = graph.Run(StepSize(), Noise(), Z()); // any order
        var zK = Assert.Single(outputs).Value;
        Assert.Equal("z_out", zK.Name);
        Assert.Equal(Shape(Case.GetProperty("zK")), zK.Shape);
        double err = Ort.RelativeError(zK.Floats, OracleSpec.Flat(Case.GetProperty("zK")));
        Assert.True(err < 1e-4, $"zK relative error {err:E2}");
        Assert.Throws<InvalidOperationException>(() => zK.Longs);

        // A wrong step size gives other values: the comparison above can fail.
        var other = graph.Run(Z(), Noise(), GraphInput.Float32("step_size", new[] { 2 * (float)Case.GetProperty("step_size").GetDouble() }))["z_out"];
        Assert.True(Ort.RelativeError(other.Floats, OracleSpec.Flat(Case.GetProperty("zK"))) > 1e-2);
    }

    [Fact]
    public void OneSessionServesConcurrentRunsAlike()
    {
        using var graph = Chain();
        float[] expected = graph.Run(Z(), Noise(), StepSize())["z_out"].Floats;
        var results = new float[32][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => results[i] = graph.Run(Z(), Noise(), StepSize())["z_out"].Floats);
        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public void AnInputThatDoesNotFitIsRefusedByName()
    {
        using var graph = Chain();
        var z = Z();
        long batch = z.Shape[0], nz = z.Shape[1];
        float[] zValues = OracleSpec.Floats(Case.GetProperty("z0"));

        var error = Assert.Throws<GraphInputException>(() => graph.Run(GraphInput.Float32("zz", zValues, z.Shape), Noise(), StepSize()));
        Assert.Equal("zz", error.Input);
        Assert.Equal("input 'zz': the graph has no such input (it takes z, noise, step_size)", error.Message);

        error = Assert.Throws<GraphInputException>(() => graph.Run(z, Noise()));
        Assert.Equal("step_size", error.Input);
        Assert.Contains("missing", error.Message);

        error = Assert.Throws<GraphInputException>(() => graph.Run(GraphInput.Float32("z", zValues, nz, batch), Noise(), StepSize()));
        Assert.Equal("z", error.Input);
        Assert.Equal($"input 'z': shape [{nz}, {batch}] does not fit the graph's [B, {nz}] (dimension 1 is {batch}, expected {nz})", error.Message);

        error = Assert.Throws<GraphInputException>(() => graph.Run(GraphInput.Float32("z", zValues[..(int)nz], 1, nz), Noise(), StepSize()));
        Assert.Equal("noise", error.Input); // z binds B to 1 first; noise has the oracle's batch
        Assert.Contains($"sets B (dimension 1) to {batch}, but input 'z' set it to 1", error.Message);

        error = Assert.Throws<GraphInputException>(() => graph.Run(GraphInput.Float32("z", zValues, batch + 1, nz), Noise(), StepSize()));
        Assert.Equal("z", error.Input);
        Assert.Equal($"input 'z': {batch * nz} values given for shape [{batch + 1}, {nz}] ({(batch + 1) * nz} values)", error.Message);

        error = Assert.Throws<GraphInputException>(() => graph.Run(z, Noise(), GraphInput.Float32("step_size", new[] { 0.1f }, 1)));
        Assert.Equal("input 'step_size': shape [1] has rank 1, the graph takes []", error.Message);

        error = Assert.Throws<GraphInputException>(() => graph.Run(GraphInput.Int64("z", new long[batch * nz], batch, nz), Noise(), StepSize()));
        Assert.Equal("input 'z': int64 given, the graph takes float32", error.Message);

        Assert.Equal("z", Assert.Throws<GraphInputException>(() => graph.Run(z, z, Noise(), StepSize())).Input);
        Assert.Throws<ArgumentException>(() => graph.Run([z, Noise(), StepSize()], ["z_K"]));
    }
}
