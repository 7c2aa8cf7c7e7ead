using LatentEbm.Inference.Bundles;
using LatentEbm.Onnx;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Export;
using LatentEbm.Training.Runs;
using Onnx;

namespace LatentEbm.Training.Tests;

/// <summary>
/// The export verifier can fail: deliberately wrong Langevin chain graphs (and, for a run with an encoder, wrong encoder
/// and amortised posterior graphs), shipped through the real export path, are each rejected with a message naming the
/// graph, and a right one passes.
/// </summary>
public class WrongChainTests
{
    public WrongChainTests() => TorchTestSetup.Init();

    public enum Fault { None, DriftScaled, NoiseBeforeDrift, OneStepShort, NoReferencePrior, SigmaForSigmaSquared, MeanAndLogVarSwapped, StartAtLogVar, StartAtZero }

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

    public static TheoryData<string, Fault> AmortisedCases() => new()
    {
        { BundleRoles.Encoder, Fault.MeanAndLogVarSwapped },
        { BundleRoles.AmortisedPosterior, Fault.StartAtLogVar },
        { BundleRoles.AmortisedPosterior, Fault.StartAtZero },
        { BundleRoles.AmortisedPosterior, Fault.DriftScaled },
        { BundleRoles.AmortisedPosterior, Fault.NoiseBeforeDrift },
        { BundleRoles.AmortisedPosterior, Fault.OneStepShort },
    };

    /// <summary>The same for a run with an encoder: a wrong encoder or amortised chain graph fails, naming its role and quantity.</summary>
    [Theory]
    [MemberData(nameof(AmortisedCases))]
    public void AWrongEncoderOrAmortisedChainFailsVerificationNamingTheGraph(string role, Fault fault)
    {
        string bundle = Path.Combine(TestPaths.NewTempFolder(), "wrong");
        var error = Assert.Throws<BundleVerificationException>(() => Export(bundle, role, fault, TinyAmortisedBundle.Run));
        Assert.StartsWith(role == BundleRoles.Encoder ? $"{role}: mu vs float64" : $"{role}: z after", error.Message);
        Assert.False(Directory.Exists(bundle), "a bundle that failed verification was written");
    }

    [Fact]
    public void TheAmortisedChainBuiltRightIndependentlyPasses()
    {
        string bundle = Path.Combine(TestPaths.NewTempFolder(), "right");
        var result = Export(bundle, BundleRoles.AmortisedPosterior, Fault.None, TinyAmortisedBundle.Run);
        Assert.Contains(result.Checks, c => c.Graph == BundleRoles.AmortisedPosterior && c.Quantity.Contains($"at step size {BundleVerifier.SmallStepSize}"));
        Assert.Contains(result.Checks, c => c.Graph == BundleRoles.Encoder && c.Quantity == "log_var vs float64");
    }

    private static ExportResult Export(string bundle, string role, Fault fault, string? run = null) =>
        BundleExporter.Export(run ?? Run.Value, bundle, ChainForm.Loop, [7], (r, spec, graph) => r != role ? graph
            : role == BundleRoles.Encoder ? Encoder(spec, fault)
            : Chain(spec, role, graph.Graph.Input[^2].Type.TensorType.Shape.Dim[0].DimValue, fault));

    /// <summary>The encoder graph written independently (Split, not the product's Slice), with one fault.</summary>
    private static ModelProto Encoder(LatentEbmSpec spec, Fault fault)
    {
        var g = new GraphBuilder("encoder");
        var x = g.Input("x", [-1, .. spec.ImageShape]);
        var (mu, logVar) = MeanAndLogVar(g, spec, x);
        if (fault == Fault.MeanAndLogVarSwapped) (mu, logVar) = (logVar, mu);
        g.Output(mu, "mu");
        g.Output(logVar, "log_var");
        return g.BuildModel();
    }

    private static (OnnxValue Mu, OnnxValue LogVar) MeanAndLogVar(GraphBuilder g, LatentEbmSpec spec, OnnxValue x)
    {
        var output = spec.Encoder!.Forward(g, x)[^1];
        string mu = g.Fresh("mu_part"), logVar = g.Fresh("log_var_part");
        g.Node("Split", [output.Name, g.Int64Constant("split", [spec.Nz, spec.Nz]).Name], [mu, logVar], Attr.Int("axis", 1));
        return (new OnnxValue(mu, [-1, spec.Nz]), new OnnxValue(logVar, [-1, spec.Nz]));
    }

    /// <summary>
    /// The chain graph written independently of the product's builder, unrolled, with one fault:
    /// z ← z + (s²/2) ∇ log p(z) + s ε, where ∇ log p(z|x) = J_gᵀ(x − g(z))/sigma² + ∇f(z) − z/sigma0²; the
    /// amortised chain starts at the encoder's mean mu(x) rather than an input z.
    /// </summary>
    private static ModelProto Chain(LatentEbmSpec spec, string role, long steps, Fault fault)
    {
        bool posterior = role != BundleRoles.PriorLangevin, amortised = role == BundleRoles.AmortisedPosterior;
        var g = new GraphBuilder(role);
        var x = posterior ? g.Input("x", [-1, .. spec.ImageShape]) : null;
        OnnxValue z;
        if (!amortised) z = g.Input("z", [-1, spec.Nz]);
        else
        {
            var (mu, logVar) = MeanAndLogVar(g, spec, x!);
            z = fault switch { Fault.StartAtLogVar => logVar, Fault.StartAtZero => g.Mul(mu, 0f), _ => mu };
        }
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
