using LatentEbm.Inference.Bundles;
using LatentEbm.Onnx;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Export;
using LatentEbm.Training.Runs;
using Onnx;

namespace LatentEbm.Training.Tests;

/// <summary>
/// The export verifier can fail: deliberately wrong Langevin chain graphs, shipped through the real
/// export path, are each rejected with a message naming the graph, and a right one passes.
/// </summary>
public class WrongChainTests
{
    public WrongChainTests() => TorchTestSetup.Init();

    public enum Fault { None, DriftScaled, NoiseBeforeDrift, OneStepShort, NoReferencePrior, SigmaForSigmaSquared }

    /// <summary>A tiny trained run with sigma0 = 1.5, so that a dropped reference-prior term is not hidden by sigma0 = 1.</summary>
    private static readonly Lazy<string> Run = new(() =>
    {
        TorchTestSetup.Init();
        string folder = TestPaths.NewTempFolder();
        using var run = TrainingRun.Start(folder, SmallRuns.TinyConfig(1) with { Sigma0 = 1.5, Score = new() { Steps = 6 } }, SmallRuns.Mnist(100));
        run.TrainToEnd();
        return folder;
    });

    public static TheoryData<string, Fault> Cases() => new()
    {
        { BundleRoles.PriorLangevin, Fault.DriftScaled },
        { BundleRoles.PriorLangevin, Fault.NoiseBeforeDrift },
        { BundleRoles.PriorLangevin, Fault.OneStepShort },
        { BundleRoles.PriorLangevin, Fault.NoReferencePrior },
        { BundleRoles.PosteriorLangevin, Fault.DriftScaled },
        { BundleRoles.PosteriorLangevin, Fault.NoiseBeforeDrift },
        { BundleRoles.PosteriorLangevin, Fault.OneStepShort },
        { BundleRoles.PosteriorLangevin, Fault.NoReferencePrior },
        { BundleRoles.PosteriorLangevin, Fault.SigmaForSigmaSquared },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void AWrongChainFailsVerificationNamingTheGraph(string role, Fault fault)
    {
        string bundle = Path.Combine(TestPaths.NewTempFolder(), "wrong");
        var error = Assert.Throws<BundleVerificationException>(() => Export(bundle, role, fault));
        Assert.StartsWith($"{role}: z after", error.Message);
        Assert.False(Directory.Exists(bundle), "a bundle that failed verification was written");
    }

    [Fact]
    public void TheSameChainBuiltRightPassesAndTheManifestRecordsTheVerification()
    {
        string bundle = Path.Combine(TestPaths.NewTempFolder(), "right");
        var result = Export(bundle, BundleRoles.PosteriorLangevin, Fault.None);
        using var opened = ModelBundle.Open(bundle);
        var verification = opened.Manifest.Verification!;
        Assert.Equal(BundleVerifier.Version, verification.VerifierVersion);
        Assert.Equal(result.Checks.Count, verification.Checks.Length);
        Assert.All(verification.Checks, c => Assert.True(c.RelativeError <= c.Tolerance && c.RelativeError >= 0, $"{c.Graph} {c.Quantity}"));
        Assert.Contains(verification.Checks, c => c.Graph == BundleRoles.PosteriorLangevin && c.Quantity.Contains($"at step size {BundleVerifier.SmallStepSize}"));
    }

    private static ExportResult Export(string bundle, string role, Fault fault) =>
        BundleExporter.Export(Run.Value, bundle, ChainForm.Loop, [7],
            (r, spec, graph) => r == role ? Chain(spec, role == BundleRoles.PosteriorLangevin, graph.Graph.Input[^2].Type.TensorType.Shape.Dim[0].DimValue, fault) : graph);

    /// <summary>
    /// The chain graph written independently of the product's builder, unrolled, with one fault:
    /// z ← z + (s²/2) ∇ log p(z) + s ε, where ∇ log p(z|x) = J_gᵀ(x − g(z))/sigma² + ∇f(z) − z/sigma0².
    /// </summary>
    private static ModelProto Chain(LatentEbmSpec spec, bool posterior, long steps, Fault fault)
    {
        var g = new GraphBuilder(posterior ? "posterior_langevin" : "prior_langevin");
        var x = posterior ? g.Input("x", [-1, .. spec.ImageShape]) : null;
        var z = g.Input("z", [-1, spec.Nz]);
        var noise = g.Input("noise", [steps, -1, spec.Nz]);
        var s = g.Input("step_size", []);
        var drift = g.Mul(g.Mul(s, s), fault == Fault.DriftScaled ? 0.45f : 0.5f);

        OnnxValue GradLogDensity(OnnxValue zk)
        {
            var grad = spec.Prior.GradientOfSum(g, zk);
            if (fault != Fault.NoReferencePrior) grad = g.Sub(grad, g.Mul(zk, (float)(1 / (spec.Sigma0 * spec.Sigma0))));
            if (x is null) return grad;
            var acts = spec.Generator.Forward(g, zk);
            double scale = fault == Fault.SigmaForSigmaSquared ? 1 / spec.Sigma : 1 / (spec.Sigma * spec.Sigma);
            return g.Add(grad, spec.Generator.Backward(g, acts, g.Mul(g.Sub(x, acts[^1]), (float)scale)));
        }

        for (long k = 0; k < (fault == Fault.OneStepShort ? steps - 1 : steps); k++)
        {
            var eps = g.Mul(g.Op("Gather", [noise, g.Int64Scalar("k", k)], z.Shape, Attr.Int("axis", 0)), s);
            z = fault == Fault.NoiseBeforeDrift
                ? g.Add(g.Add(z, eps), g.Mul(GradLogDensity(g.Add(z, eps)), drift))
                : g.Add(g.Add(z, g.Mul(GradLogDensity(z), drift)), eps);
        }
        g.Output(z, "z_out");
        return g.BuildModel();
    }
}
