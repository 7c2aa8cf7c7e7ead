using LatentEbm.Inference.Benchmarks;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Runtime;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Training.Model;
using LatentEbm.Training.Sampling;
using Google.Protobuf;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Export;

/// <summary>One parity measurement of an exported graph against TorchSharp.</summary>
/// <param name="Graph">Graph (role) checked.</param>
/// <param name="Quantity">Output compared.</param>
/// <param name="Batch">Batch size.</param>
/// <param name="RelativeError">max |onnx - torch| / max |torch|.</param>
/// <param name="Tolerance">The bound it must stay under.</param>
/// <param name="TorchFloat32Error">For whole chains: TorchSharp's own float32 chain's error against float64, else null.</param>
public sealed record ParityCheck(string Graph, string Quantity, int Batch, double RelativeError, double Tolerance, double? TorchFloat32Error = null);

/// <summary>
/// Proves a bundle against the TorchSharp model it came from: ONNX Runtime (CPU) runs every graph
/// at each batch size, and f, ∇f (autograd), the decoder and the anomaly score must match TorchSharp within
/// relative error 1e-5, and one Langevin step with the same noise a float64 step within 1e-5 on
/// <see cref="StepRowShare"/> of the rows. The shipped K-step chain graphs (Loop or
/// unrolled) run against a float64 TorchSharp chain twice: at step size 0.01, where the chain is far
/// from chaotic, every row within 1e-4; and at the model's own step size, where float32 rounding compounds over
/// K steps (the posterior drift carries a 1/sigma² factor), within max(1e-3, 4 x the error of
/// TorchSharp's own float32 chain) on the median row. Not on every row: two float32 chains that
/// round differently can end in different modes (one row of a digit-4 model ended 5.9e-2 away
/// while TorchSharp's own float32 chain was 7.4e-3 away; one of 7 rows of a digit-7 model 5.8e-3
/// away), so the bound is on the median per-row error, which a systematic error (wrong drift,
/// noise or K) still moves; the one-step check (1e-5) and the small-step whole-chain check (1e-4)
/// pin the formula down. A bundle with an encoder (<see cref="BundleRoles.Amortised"/>) has the encoder's mu and log sigma²
/// checked against the float64 encoder within 1e-5, and its amortised posterior chain (start mu(x), then K steps) checked
/// like the posterior chain against a float64 chain from the float64 encoder's mean with the same noise: one step, the
/// whole chain at the model's step size and at <see cref="SmallStepSize"/> (K = 0: z_out = mu(x) within 1e-5).
/// </summary>
public static class BundleVerifier
{
    /// <summary>
    /// Version of these checks, recorded in every manifest. 2: the small-step chain bound holds on every
    /// row; tests prove that wrong chains (drift scaled, noise before the drift, K - 1 steps, the
    /// reference-prior term dropped, sigma for sigma²) fail. 3: the one-step check is against float64 (it was
    /// against TorchSharp's float32 step), and it and the small-step chain check hold on <see cref="StepRowShare"/>
    /// of the rows. 4: a bundle of a model with an encoder also has its encoder graph checked (mu and log sigma² against
    /// float64, <see cref="SingleTolerance"/>) and its amortised posterior chain (mu(x), then K steps) held to the posterior
    /// chain's bounds against a float64 chain from the float64 encoder's mean.
    /// </summary>
    public const int Version = 4;

    /// <summary>
    /// Share of rows that must meet the one-step bound (<see cref="SingleTolerance"/>) and the small-step whole-chain
    /// bound (<see cref="SmallStepChainTolerance"/>), each against float64. Not every row: ∇_z through a LeakyReLU
    /// network jumps where a pre-activation crosses 0, and float32 rounding puts a few of the millions of pre-activations
    /// of a conv generator at batch 256 on the other side of it (CIFAR-10, ngf 16: one step of TorchSharp's float32
    /// chain moved the worst row by 4.8e-3 of max |z| when oneDNN's kernels changed, while the decoder matched to 1e-6).
    /// A wrong formula moves every row, and small batches (below 50 rows) are still held to every row.
    /// </summary>
    public const double StepRowShare = 0.98;

    /// <summary>Bound for single evaluations and one Langevin step.</summary>
    public const double SingleTolerance = 1e-5;

    /// <summary>Floor of the bound for the bundle's whole K-step chains (on <see cref="ChainRowQuantile"/> of the rows).</summary>
    public const double ChainTolerance = 1e-3;

    /// <summary>Share of rows that must meet the whole-chain bound.</summary>
    public const double ChainRowQuantile = 0.5;

    /// <summary>How many times TorchSharp's own float32 chain error ONNX's may reach.</summary>
    public const double ChainRoundingFactor = 4;

    /// <summary>A step size at which K-step chains stay far from chaotic, so the shipped chain graphs can be held to a tight bound.</summary>
    public const double SmallStepSize = 0.01;

    /// <summary>Bound for the shipped K-step chain graphs at <see cref="SmallStepSize"/>, against float64.</summary>
    public const double SmallStepChainTolerance = 1e-4;

    /// <summary>Runs every check; throws on the first failure.</summary>
    /// <exception cref="BundleVerificationException">A graph does not match; the message names it and the error.</exception>
    /// <param name="bundle">The opened bundle.</param>
    /// <param name="model">The float32 TorchSharp model it was exported from.</param>
    /// <param name="model64">The same weights in float64 (the reference for whole chains).</param>
    /// <param name="spec">The exported layer specifications.</param>
    /// <param name="batchSizes">Batch sizes to check.</param>
    /// <param name="seed">Seed of the random inputs.</param>
    public static IReadOnlyList<ParityCheck> Verify(ModelBundle bundle, LatentEbmModel model, LatentEbmModel model64, LatentEbmSpec spec, int[] batchSizes, int seed = 0)
    {
        var checks = new List<ParityCheck>();
        var manifest = bundle.Manifest;
        var score = manifest.Score;
        using var rng = new torch.Generator((ulong)seed);
        int nz = model.Nz;
        int[] image = manifest.Model.ImageShape;
        bool amortised = manifest.Model.HasEncoder;
        if (amortised != (model.Encoder is not null) || amortised != (model64.Encoder is not null) || amortised != (spec.Encoder is not null))
            throw new BundleVerificationException($"the bundle's model.posterior_start is {manifest.Model.PosteriorStart}, but the model it is checked against {(model.Encoder is null ? "has no" : "has an")} encoder");
        using var oneStepPrior = Session(LatentEbmGraphs.PriorLangevin(spec, 1, ChainForm.Unrolled));
        using var oneStepPosterior = Session(LatentEbmGraphs.PosteriorLangevin(spec, 1, ChainForm.Unrolled));
        using var oneStepAmortised = amortised ? Session(LatentEbmGraphs.AmortisedPosterior(spec, 1, ChainForm.Unrolled)) : null;
        model.Prior.eval();
        model.Generator.eval();
        model.Encoder?.eval();
        model64.Encoder?.eval();
        var chains = new List<(string Role, int Steps, double StepSize)>
        {
            (BundleRoles.PriorLangevin, bundle.File(BundleRoles.PriorLangevin).Steps!.Value, manifest.Model.PriorStepSize),
            (BundleRoles.PosteriorLangevin, bundle.File(BundleRoles.PosteriorLangevin).Steps!.Value, score.StepSize),
        };
        if (amortised) chains.Add((BundleRoles.AmortisedPosterior, bundle.File(BundleRoles.AmortisedPosterior).Steps!.Value, score.StepSize));

        foreach (int b in batchSizes)
        {
            using var scope = NewDisposeScope();
            var z = randn([b, nz], generator: rng);
            Tensor x;
            using (no_grad()) x = (model.Generator.forward(randn([b, nz], generator: rng)) + 0.3 * randn([b, .. image.Select(d => (long)d)], generator: rng)).clamp(-1, 1);
            (string Name, float[] Data, int[] Dims) zIn = ("z", Floats(z), [b, nz]);
            (string Name, float[] Data, int[] Dims) xIn = ("x", Floats(x), [b, .. image]);

            // f and grad f (autograd).
            var zz = z.detach().requires_grad_(true);
            var f = model.Prior.forward(zz);
            var gradF = autograd.grad([f.sum()], [zz])[0];
            Check(checks, BundleRoles.PriorEnergy, "f", b, bundle.Run(BundleRoles.PriorEnergy, zIn)["f"].Data, f, SingleTolerance);
            var fg = bundle.Run(BundleRoles.PriorEnergyGrad, zIn);
            Check(checks, BundleRoles.PriorEnergyGrad, "f", b, fg["f"].Data, f, SingleTolerance);
            Check(checks, BundleRoles.PriorEnergyGrad, "grad_z", b, fg["grad_z"].Data, gradF, SingleTolerance);

            using (no_grad())
            {
                Check(checks, BundleRoles.Decoder, "x", b, bundle.Run(BundleRoles.Decoder, zIn)["x"].Data, model.Generator.forward(z), SingleTolerance);
                var expected = (x - model.Generator.forward(z)).square().flatten(1).sum(1) * score.ReconstructionWeight
                               - model.Prior.forward(z) * score.EnergyWeight + z.square().sum(1) * score.LatentNormWeight;
                Check(checks, BundleRoles.AnomalyScore, "score", b, bundle.Run(BundleRoles.AnomalyScore, xIn, zIn)["score"].Data, expected, SingleTolerance);
                if (model64.Encoder is { } encoder64)
                {
                    var (mu64, logVariance64) = encoder64.Gaussian(x.to(float64));
                    var encoded = bundle.Run(BundleRoles.Encoder, xIn);
                    Check(checks, BundleRoles.Encoder, "mu vs float64", b, encoded["mu"].Data, mu64, SingleTolerance);
                    Check(checks, BundleRoles.Encoder, "log_var vs float64", b, encoded["log_var"].Data, logVariance64, SingleTolerance);
                }
            }

            // One Langevin step with the same noise, then the bundle's whole chains.
            foreach (var (role, steps, stepSize) in chains)
            {
                bool posterior = role != BundleRoles.PriorLangevin, fromEncoder = role == BundleRoles.AmortisedPosterior;
                // The amortised chain starts at mu(x) of the model in the chain's precision; the others at the shared z.
                Tensor Start(LatentEbmModel m, ScalarType type) => fromEncoder ? m.Encoder!.Mean(x.to(type)) : z.to(type);
                foreach (int k in steps == 0 ? new[] { 0 } : new[] { 1, steps })
                {
                    var noise = randn([k, b, nz], generator: rng);
                    Tensor Chain(LatentEbmModel m, ScalarType type, double s) => posterior
                        ? LangevinSampler.PosteriorChain(m, x.to(type), Start(m, type), k, s, new ScriptedNoise(noise.to(type)))
                        : LangevinSampler.PriorChain(m, z.to(type), k, s, new ScriptedNoise(noise.to(type)));
                    (string, float[], int[])[] inputs = fromEncoder ? [xIn, ("noise", Floats(noise), [k, b, nz]), ("step_size", [(float)stepSize], [])]
                        : posterior ? [xIn, zIn, ("noise", Floats(noise), [k, b, nz]), ("step_size", [(float)stepSize], [])]
                        : [zIn, ("noise", Floats(noise), [k, b, nz]), ("step_size", [(float)stepSize], [])];
                    if (k == 0)
                    {
                        // No steps: the shipped chain is the encoder's mean.
                        Check(checks, role, "z after 0 steps (mu) vs float64", b, bundle.Run(role, inputs)["z_out"].Data, Start(model64, float64), SingleTolerance);
                        continue;
                    }
                    if (k == 1)
                    {
                        var step64 = Chain(model64, float64, stepSize);
                        float[] oneStep = Run(fromEncoder ? oneStepAmortised! : posterior ? oneStepPosterior : oneStepPrior, inputs), step64Values = Floats(step64);
                        Check(checks, role, $"z after one step vs float64 ({StepRowShare:P0} of rows)", b, oneStep, step64, SingleTolerance,
                            RowQuantile(Floats(Chain(model, float32, stepSize)), step64Values, nz, 1.0), RowQuantile(oneStep, step64Values, nz, StepRowShare));
                        continue;
                    }
                    var reference = Chain(model64, float64, stepSize);
                    // Whole chains at the model's step size are chaotic in float32: a row near a ridge of
                    // log p can end in another mode after rounding alone. The bound holds for the median row.
                    float[] torch32 = Floats(Chain(model, float32, stepSize)), referenceValues = Floats(reference);
                    double torchRounding = RowQuantile(torch32, referenceValues, nz, ChainRowQuantile);
                    float[] shipped = bundle.Run(role, inputs)["z_out"].Data;
                    Check(checks, role, $"z after {k} steps vs float64 ({ChainRowQuantile:P0} of rows)", b, shipped, reference,
                        Math.Max(ChainTolerance, ChainRoundingFactor * torchRounding), torchRounding, RowQuantile(shipped, referenceValues, nz, ChainRowQuantile));

                    // The shipped graph at a small step size: tight, so a wrong drift or noise scale cannot pass.
                    var smallReference = Chain(model64, float64, SmallStepSize);
                    inputs[^1] = ("step_size", [(float)SmallStepSize], []);
                    float[] small = bundle.Run(role, inputs)["z_out"].Data;
                    Check(checks, role, $"z after {k} steps at step size {SmallStepSize} vs float64 ({StepRowShare:P0} of rows)", b, small,
                        smallReference, SmallStepChainTolerance, error: RowQuantile(small, Floats(smallReference), nz, StepRowShare));
                }
            }
        }
        return checks;
    }

    /// <summary>Records one ONNX-against-TorchSharp comparison (image and text verifiers alike).</summary>
    /// <exception cref="BundleVerificationException">Lengths differ, a value is not finite, or the error exceeds <paramref name="tolerance"/>.</exception>
    internal static void Check(List<ParityCheck> checks, string graph, string quantity, int batch, float[] onnx, Tensor torchValue, double tolerance, double? torchFloat32 = null, double? error = null)
    {
        float[] expected = Floats(torchValue);
        if (onnx.Length != expected.Length)
            throw new BundleVerificationException($"{graph}: {quantity} at batch {batch} has {onnx.Length} values, TorchSharp {expected.Length}");
        int bad = Array.FindIndex(onnx, v => !float.IsFinite(v));
        if (bad >= 0) throw new BundleVerificationException($"{graph}: {quantity} at batch {batch} is not finite at index {bad}");
        var check = new ParityCheck(graph, quantity, batch, error ?? MedianTiming.MaxRelativeDifference(onnx, expected), tolerance, torchFloat32);
        checks.Add(check);
        if (!(check.RelativeError <= tolerance))
            throw new BundleVerificationException($"{graph}: {quantity} at batch {batch} differs from TorchSharp by relative error {check.RelativeError:E2} (limit {tolerance:E0})");
    }

    /// <summary>The <paramref name="quantile"/> over rows of max_j |a_rj - b_rj| / max |b|.</summary>
    internal static double RowQuantile(float[] actual, float[] expected, int width, double quantile)
    {
        double scale = 1e-30;
        foreach (var v in expected) scale = Math.Max(scale, Math.Abs((double)v));
        var rows = new double[actual.Length / width];
        for (int r = 0; r < rows.Length; r++)
            for (int j = 0; j < width; j++)
                rows[r] = Math.Max(rows[r], Math.Abs((double)actual[r * width + j] - expected[r * width + j]) / scale);
        Array.Sort(rows);
        return rows[Math.Min(rows.Length - 1, (int)Math.Ceiling(quantile * rows.Length) - 1)];
    }

    private static OrtGraph Session(global::Onnx.ModelProto model) => OrtGraph.Load(model.ToByteArray());

    private static float[] Run(OrtGraph graph, (string Name, float[] Data, int[] Dims)[] inputs) =>
        graph.Run([.. inputs.Select(i => GraphInput.Float32(i.Name, i.Data, [.. i.Dims.Select(d => (long)d)]))], ["z_out"])["z_out"].Floats;

    internal static float[] Floats(Tensor t) => t.numel() == 0 ? [] : t.detach().to(float32).cpu().contiguous().data<float>().ToArray();
}
