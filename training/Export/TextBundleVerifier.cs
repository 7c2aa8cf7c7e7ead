using Google.Protobuf;
using LatentEbm.Inference.Benchmarks;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Runtime;
using LatentEbm.Inference.Text;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Training.Sampling;
using LatentEbm.Training.Text;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Export;

/// <summary>
/// Proves a text bundle against the TorchSharp model it came from, on probe sentences of different lengths (padded in one
/// batch) and latents z ~ N(0, sigma0² I), ONNX Runtime (CPU) against the float64 TorchSharp model:
/// f, ∇f, log p(x|z) and the anomaly score within relative error <see cref="SingleTolerance"/> (max |onnx - torch| / max |torch|);
/// ∇_z log p(x|z) (backpropagation through time in float32) within <see cref="GradientTolerance"/>; the K0-step prior chain and
/// the shipped K-step posterior chain (same noise) on the median row within max(<see cref="BundleVerifier.ChainTolerance"/>,
/// 4 x TorchSharp's own float32 chain's error), as the image verifier does, and the same posterior chain graph built at step
/// size <see cref="BundleVerifier.SmallStepSize"/> on every row within <see cref="BundleVerifier.SmallStepChainTolerance"/>;
/// greedy decoding's words exactly equal to <see cref="TextDecoder.Decode"/> of the float64 model; and sampled decoding at
/// temperature <see cref="ColdTemperature"/> exactly equal to greedy decoding (the inverse CDF of a one-hot distribution).
/// </summary>
public static class TextBundleVerifier
{
    /// <summary>Version of these checks, recorded in every text manifest.</summary>
    public const int Version = 1;

    /// <summary>Bound for single evaluations (f, ∇f, log p(x|z), the score), against float64.</summary>
    public const double SingleTolerance = 1e-5;

    /// <summary>Bound for ∇_z log p(x|z) against float64 autograd.</summary>
    public const double GradientTolerance = 1e-4;

    /// <summary>The sampling temperature at which sampled decoding must equal greedy decoding.</summary>
    public const double ColdTemperature = 1e-5;

    /// <summary>
    /// Greedy decoding is compared up to a row's first step whose two best logits (float64) are closer than this (nats): there
    /// float32 rounding may pick either word, and every later step follows from it.
    /// </summary>
    public const double GreedyTieMargin = 1e-4;

    /// <summary>
    /// Cold sampling is compared with greedy decoding up to a row's first step whose two best logits are closer than this,
    /// 20 x <see cref="ColdTemperature"/>: beyond it the runner-up's probability exceeds e^-20.
    /// </summary>
    public const double ColdTieMargin = 20 * ColdTemperature;

    /// <summary>Runs every check on <paramref name="bundle"/> against <paramref name="model"/> (float32) and <paramref name="model64"/> (its float64 copy); throws on the first failure.</summary>
    /// <param name="bundle">The opened bundle.</param>
    /// <param name="model">The model in float32, as trained.</param>
    /// <param name="model64">The same weights in float64, decoder in evaluation mode.</param>
    /// <param name="spec">The spec the graphs were built from (for the small-step chain graph).</param>
    /// <param name="batchSizes">Probe batch sizes.</param>
    /// <exception cref="BundleVerificationException">A graph does not match; the message names it, the quantity, the batch and the error.</exception>
    public static IReadOnlyList<ParityCheck> Verify(TextBundle bundle, TextLatentEbm model, TextLatentEbm model64, TextDecoderSpec spec, int[] batchSizes)
    {
        var checks = new List<ParityCheck>();
        var m = bundle.Manifest.Model;
        int nz = m.Nz, v = m.VocabularySize, maxWords = bundle.Manifest.Observation.MaxWords;
        using var rng = new torch.Generator(20261202);
        using var smallChain = OrtGraph.Load(TextGraphs.PosteriorLangevin(spec, [.. Enumerable.Repeat(BundleVerifier.SmallStepSize, m.PosteriorSteps)]).ToByteArray());
        bool training = model.Decoder.training;
        model.Decoder.eval();
        model64.Decoder.eval();
        try
        {
            foreach (int b in batchSizes)
            {
                using var scope = NewDisposeScope();
                var z64 = randn([b, nz], float64, generator: rng) * m.Sigma0;
                var (tokens, width) = ProbeTokens(b, v, Math.Min(maxWords, 12), rng);
                var tokens64 = tensor(tokens, [b, width], int64);
                float[] z = BundleVerifier.Floats(z64);

                // Prior f and its gradient.
                var zz = z64.detach().requires_grad_(true);
                Tensor f64, gradF64;
                using (enable_grad())
                {
                    f64 = model64.Prior.forward(zz).reshape(-1);
                    gradF64 = autograd.grad([f64.sum()], [zz])[0];
                }
                var fOnnx = Run(bundle, TextBundleRoles.PriorEnergy, b, [("z", z, [b, nz])], null, "f")[0];
                BundleVerifier.Check(checks, TextBundleRoles.PriorEnergy, "f vs float64", b, fOnnx, f64, SingleTolerance);
                var fg = Run(bundle, TextBundleRoles.PriorEnergyGrad, b, [("z", z, [b, nz])], null, "f", "grad_z");
                BundleVerifier.Check(checks, TextBundleRoles.PriorEnergyGrad, "f vs float64", b, fg[0], f64, SingleTolerance);
                BundleVerifier.Check(checks, TextBundleRoles.PriorEnergyGrad, "grad_z vs float64 autograd", b, fg[1], gradF64, SingleTolerance);

                // log p(x|z), its gradient and the score.
                Tensor ll64;
                using (no_grad()) ll64 = model64.Decoder.LogLikelihood(z64, tokens64);
                var gradLl64 = model64.GradLogLikelihood(z64, tokens64);
                var tokenInput = ("tokens", tokens, new long[] { b, width });
                var ll = Run(bundle, TextBundleRoles.LogLikelihood, b, [("z", z, [b, nz])], tokenInput, "log_likelihood")[0];
                BundleVerifier.Check(checks, TextBundleRoles.LogLikelihood, "log_likelihood vs float64", b, ll, ll64, SingleTolerance);
                var llg = Run(bundle, TextBundleRoles.LogLikelihoodGrad, b, [("z", z, [b, nz])], tokenInput, "log_likelihood", "grad_z");
                BundleVerifier.Check(checks, TextBundleRoles.LogLikelihoodGrad, "log_likelihood vs float64", b, llg[0], ll64, SingleTolerance);
                BundleVerifier.Check(checks, TextBundleRoles.LogLikelihoodGrad, "grad_z vs float64 autograd", b, llg[1], gradLl64, GradientTolerance);
                var expectedScore = -(ll64 + f64.detach() - z64.square().sum(1) / (2 * m.Sigma0 * m.Sigma0));
                var score = Run(bundle, TextBundleRoles.AnomalyScore, b, [("z", z, [b, nz])], tokenInput, "score")[0];
                BundleVerifier.Check(checks, TextBundleRoles.AnomalyScore, "score vs float64 -(log p(x|z) + f - |z|^2/(2 sigma0^2))", b, score, expectedScore, SingleTolerance);

                // The prior chain (K0 steps of s0) and the posterior chain (the run's step sizes), same noise.
                if (m.PriorSteps > 0)
                {
                    var noise = randn([m.PriorSteps, b, nz], float64, generator: rng);
                    Tensor Chain(TextLatentEbm model_, ScalarType type) =>
                        LangevinSampler.Run(z64.to(type), m.PriorSteps, m.PriorStepSize, new ScriptedNoise(noise.to(type)), model_.GradLogPrior);
                    var shipped = Run(bundle, TextBundleRoles.PriorLangevin, b,
                        [("z", z, [b, nz]), ("noise", BundleVerifier.Floats(noise), [m.PriorSteps, b, nz]), ("step_size", [(float)m.PriorStepSize], [])], null, "z_out")[0];
                    CheckChain(checks, TextBundleRoles.PriorLangevin, m.PriorSteps, b, nz, shipped, Chain(model64, float64), Chain(model, float32));
                }
                {
                    var noise = randn([m.PosteriorSteps, b, nz], float64, generator: rng);
                    Tensor Chain(TextLatentEbm model_, ScalarType type, IReadOnlyList<double> sizes) =>
                        LangevinSampler.Run(z64.to(type), sizes, new ScriptedNoise(noise.to(type)), zk => model_.GradLogPosterior(zk, tokens64));
                    (string, float[], long[])[] inputs = [("z", z, [b, nz]), ("noise", BundleVerifier.Floats(noise), [m.PosteriorSteps, b, nz])];
                    var shipped = Run(bundle, TextBundleRoles.PosteriorLangevin, b, inputs, tokenInput, "z_out")[0];
                    CheckChain(checks, TextBundleRoles.PosteriorLangevin, m.PosteriorSteps, b, nz, shipped,
                        Chain(model64, float64, m.PosteriorStepSizes), Chain(model, float32, m.PosteriorStepSizes));
                    var small = smallChain.Run(Inputs(inputs, tokenInput), ["z_K"])["z_K"].Floats;
                    var smallReference = Chain(model64, float64, [.. Enumerable.Repeat(BundleVerifier.SmallStepSize, m.PosteriorSteps)]);
                    BundleVerifier.Check(checks, TextBundleRoles.PosteriorLangevin, $"z after {m.PosteriorSteps} steps at step size {BundleVerifier.SmallStepSize} vs float64 (the same graph rebuilt at that step size, every row)",
                        b, small, smallReference, BundleVerifier.SmallStepChainTolerance, error: BundleVerifier.RowQuantile(small, BundleVerifier.Floats(smallReference), nz, 1.0));
                }

                // Greedy decoding, exactly; sampled decoding at a cold temperature equals it. Both up to a row's first near-tie:
                // a step whose two best logits (float64, teacher-forced on the shipped tokens) are closer than the margin.
                long[] greedy = Longs(Run(bundle, TextBundleRoles.GreedyDecode, b, [("z", z, [b, nz])], null, "tokens")[0]);
                int length = maxWords + 1;
                int[] decided = DecidedSteps(model64, z64, greedy, b, length, GreedyTieMargin);
                int[][] expectedWords = model64.Decoder.Decode(z64, maxWords);
                for (int row = 0; row < b; row++)
                {
                    // Decode's choices as tokens: its words, then </s> when it stopped before the word limit.
                    long[] expected = [.. expectedWords[row].Select(w => (long)w), .. expectedWords[row].Length < maxWords ? new long[] { TextVocabulary.EndId } : []];
                    int compared = Math.Min(decided[row], expected.Length);
                    int differs = Enumerable.Range(0, compared).FirstOrDefault(t => greedy[row * length + t] != expected[t], -1);
                    if (differs >= 0)
                        throw new BundleVerificationException($"{TextBundleRoles.GreedyDecode}: row {row} at batch {b} decodes to ids [{string.Join(", ", greedy.AsSpan(row * length, length).ToArray())}], TorchSharp float64 TextDecoder.Decode to [{string.Join(", ", expected)}]: step {differs} differs, before any near-tie");
                }
                checks.Add(new ParityCheck(TextBundleRoles.GreedyDecode, $"words vs TorchSharp float64 TextDecoder.Decode up to a near-tie (gap < {GreedyTieMargin:G}; rows that differ; {decided.Sum()} steps decided of {b * length})", b, 0, 0));
                var uniform = rand([b, length], float32, generator: rng);
                long[] cold = Longs(Run(bundle, TextBundleRoles.SampleDecode, b,
                    [("z", z, [b, nz]), ("uniform", BundleVerifier.Floats(uniform), [b, length]), ("temperature", [(float)ColdTemperature], [])], null, "tokens")[0]);
                int[] coldDecided = DecidedSteps(model64, z64, greedy, b, length, ColdTieMargin);
                int differing = Enumerable.Range(0, b).Sum(row => Enumerable.Range(0, coldDecided[row]).Count(t => cold[row * length + t] != greedy[row * length + t]));
                checks.Add(new ParityCheck(TextBundleRoles.SampleDecode, $"tokens at temperature {ColdTemperature:G} vs greedy decoding up to a near-tie (gap < {ColdTieMargin:G}; tokens that differ; {coldDecided.Sum()} steps decided of {b * length})", b, differing, 0));
                if (differing > 0)
                    throw new BundleVerificationException($"{TextBundleRoles.SampleDecode}: at temperature {ColdTemperature:G} and batch {b}, {differing} tokens differ from greedy decoding before any near-tie");
            }
        }
        finally
        {
            model.Decoder.train(training);
        }
        return checks;
    }

    /// <summary>
    /// Per row, how many leading steps of the shipped greedy <paramref name="tokens"/> <c>[b, length]</c> are decided: steps whose
    /// two best logits (float64, teacher-forced on those tokens, &lt;pad&gt; and &lt;s&gt; excluded) differ by at least
    /// <paramref name="margin"/>, up to the first that does not, or to the step that emitted &lt;/s&gt; (then every step, <paramref name="length"/>).
    /// </summary>
    private static int[] DecidedSteps(TextLatentEbm model64, Tensor z64, long[] tokens, int b, int length, double margin)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var shipped = tensor(tokens, [b, length], int64);
        var inputs = cat([full([b, 1], TextVocabulary.StartId, int64), shipped.narrow(1, 0, length - 1)], 1);
        var logits = model64.Decoder.forward(z64, inputs).clone();
        logits[TensorIndex.Ellipsis, TextVocabulary.PadId] = double.NegativeInfinity;
        logits[TensorIndex.Ellipsis, TextVocabulary.StartId] = double.NegativeInfinity;
        var top = logits.topk(2, dim: 2).values;
        double[] gaps = (top.select(2, 0) - top.select(2, 1)).data<double>().ToArray();
        var decided = new int[b];
        for (int row = 0; row < b; row++)
        {
            int t = 0;
            while (t < length && gaps[row * length + t] >= margin)
            {
                if (tokens[row * length + t] == TextVocabulary.EndId) { t = length; break; }
                t++;
            }
            decided[row] = t;
        }
        return decided;
    }

    /// <summary>Random sentences of 1 to <paramref name="longest"/> words (the first the longest, so the batch is padded), ids in {&lt;unk&gt;} ∪ [4, V).</summary>
    private static (long[] Tokens, int Width) ProbeTokens(int b, int v, int longest, torch.Generator rng)
    {
        var lengths = randint(1, longest + 1, [b], generator: rng).data<long>().ToArray();
        lengths[0] = longest;
        var sentences = new int[b][];
        for (int row = 0; row < b; row++)
        {
            var ids = randint(TextVocabulary.EndId, v, [lengths[row]], generator: rng).data<long>().ToArray(); // 3 stands for <unk>
            sentences[row] = [.. ids.Select(id => id == TextVocabulary.EndId ? TextVocabulary.UnknownId : (int)id)];
        }
        return TextVocabulary.Rows(sentences);
    }

    private static void CheckChain(List<ParityCheck> checks, string role, int steps, int b, int nz, float[] shipped, Tensor reference, Tensor torch32)
    {
        // Whole chains are chaotic in float32 (see BundleVerifier): the bound holds for the median row.
        float[] referenceValues = BundleVerifier.Floats(reference);
        double torchRounding = BundleVerifier.RowQuantile(BundleVerifier.Floats(torch32), referenceValues, nz, BundleVerifier.ChainRowQuantile);
        BundleVerifier.Check(checks, role, $"z after {steps} steps vs float64 ({BundleVerifier.ChainRowQuantile:P0} of rows)", b, shipped, reference,
            Math.Max(BundleVerifier.ChainTolerance, BundleVerifier.ChainRoundingFactor * torchRounding), torchRounding,
            BundleVerifier.RowQuantile(shipped, referenceValues, nz, BundleVerifier.ChainRowQuantile));
    }

    private static List<float[]> Run(TextBundle bundle, string role, int batch, (string Name, float[] Data, long[] Dims)[] floats,
        (string Name, long[] Data, long[] Dims)? tokens, params string[] outputs)
    {
        IReadOnlyDictionary<string, GraphOutput> results;
        try
        {
            results = bundle.Run(role, Inputs(floats, tokens), outputs);
        }
        catch (Exception e) when (e is BundleException or GraphInputException)
        {
            throw new BundleVerificationException($"{role}: ONNX Runtime failed at batch {batch} ({e.Message})");
        }
        // int64 outputs (token ids) as floats, to compare alike.
        return [.. outputs.Select(o => results[o] is { ElementType: TensorElementType.Int64 } ids ? ids.Longs.Select(x => (float)x).ToArray() : results[o].Floats)];
    }

    private static GraphInput[] Inputs((string Name, float[] Data, long[] Dims)[] floats, (string Name, long[] Data, long[] Dims)? tokens) =>
        [.. floats.Select(f => GraphInput.Float32(f.Name, f.Data, f.Dims)), .. tokens is { } t ? new[] { GraphInput.Int64(t.Name, t.Data, t.Dims) } : []];

    private static long[] Longs(float[] values) => [.. values.Select(x => (long)x)];

}
