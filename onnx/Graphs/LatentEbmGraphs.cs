using Onnx;

namespace LatentEbm.Onnx.Graphs;

/// <summary>
/// The graphs of a model bundle, each derived from the layer specifications (forward passes and
/// vector-Jacobian products), never written by hand per model. Sign convention: f is the negative
/// energy. Langevin steps use the official code's convention (PAPER.md, "Learning", step 3):
/// z ← z + (s²/2) ∇ log p(z) + s ε.
/// </summary>
public static class LatentEbmGraphs
{
    /// <summary><c>z [B, nz] → f [B]</c>: the prior's negative energy f_alpha(z).</summary>
    public static ModelProto PriorEnergy(LatentEbmSpec spec, IReadOnlyDictionary<string, string>? card = null)
    {
        var g = new GraphBuilder("prior_energy");
        var z = g.Input("z", [-1, spec.Nz]);
        g.Output(F(g, spec, spec.Prior.Forward(g, z)), "f");
        return g.BuildModel(card, "f_alpha(z), the prior's negative energy (PAPER.md, Model)");
    }

    /// <summary><c>z [B, nz] → f [B], grad_z [B, nz]</c>: f_alpha(z) and ∇_z f_alpha(z).</summary>
    public static ModelProto PriorEnergyGrad(LatentEbmSpec spec, IReadOnlyDictionary<string, string>? card = null)
    {
        var g = new GraphBuilder("prior_energy_grad");
        var z = g.Input("z", [-1, spec.Nz]);
        var acts = spec.Prior.Forward(g, z);
        g.Output(F(g, spec, acts), "f");
        g.Output(spec.Prior.Backward(g, acts, g.OnesLike(acts[^1])), "grad_z");
        return g.BuildModel(card, "f_alpha(z) and its gradient with respect to z");
    }

    /// <summary><c>z [B, C, H, W]</c>: the generator's mean g_theta(z).</summary>
    public static ModelProto Decoder(LatentEbmSpec spec, IReadOnlyDictionary<string, string>? card = null)
    {
        var g = new GraphBuilder("decoder");
        var z = g.Input("z", [-1, spec.Nz]);
        g.Output(spec.Generator.Forward(g, z)[^1], "x");
        return g.BuildModel(card, "g_theta(z), the generator's mean image");
    }

    /// <summary>
    /// <c>z [B, nz], noise [K, B, nz], step_size [] → z_out [B, nz]</c>: K Langevin steps on
    /// log p(z) = f(z) - |z|²/(2 sigma0²).
    /// </summary>
    public static ModelProto PriorLangevin(LatentEbmSpec spec, int steps, ChainForm form, IReadOnlyDictionary<string, string>? card = null) =>
        PriorLangevin(new GraphBuilder("prior_langevin"), spec, steps, form, card);

    /// <summary>
    /// The chain of <see cref="PriorLangevin(LatentEbmSpec, int, ChainForm, IReadOnlyDictionary{string, string}?)"/> with the
    /// networks' weights as graph inputs instead of initializers (the graph holds no weights): built once, it runs with the
    /// weights fed at each run, e.g. a trainer's parameters as they are updated. Inputs <c>z</c>, <c>noise</c>, <c>step_size</c>
    /// and one per weight array (<see cref="LiveWeightGraph.Weights"/>).
    /// </summary>
    public static LiveWeightGraph PriorLangevinWithWeightInputs(LatentEbmSpec spec, int steps, ChainForm form = ChainForm.Loop)
    {
        var g = new GraphBuilder("prior_langevin", weightsAsInputs: true);
        return new LiveWeightGraph(PriorLangevin(g, spec, steps, form, null), g.WeightInputs);
    }

    private static ModelProto PriorLangevin(GraphBuilder g, LatentEbmSpec spec, int steps, ChainForm form, IReadOnlyDictionary<string, string>? card)
    {
        var z = g.Input("z", [-1, spec.Nz]);
        var noise = g.Input("noise", [steps, -1, spec.Nz]);
        var s = g.Input("step_size", []);
        g.Output(Chain(g, z, noise, s, steps, form, (b, zk) => GradLogPrior(b, spec, zk)), "z_out");
        return g.BuildModel(card, $"{steps} Langevin steps on the prior: z <- z + (s^2/2) grad log p(z) + s noise[k]");
    }

    /// <summary>
    /// <c>x [B, C, H, W], z [B, nz], noise [K, B, nz], step_size [] → z_out [B, nz]</c>: K Langevin steps
    /// on log p(z|x) = -|x - g(z)|²/(2 sigma²) + f(z) - |z|²/(2 sigma0²).
    /// </summary>
    public static ModelProto PosteriorLangevin(LatentEbmSpec spec, int steps, ChainForm form, IReadOnlyDictionary<string, string>? card = null) =>
        PosteriorLangevin(new GraphBuilder("posterior_langevin"), spec, steps, form, card);

    /// <summary>
    /// The chain of <see cref="PosteriorLangevin(LatentEbmSpec, int, ChainForm, IReadOnlyDictionary{string, string}?)"/> with the
    /// networks' weights as graph inputs instead of initializers (see <see cref="PriorLangevinWithWeightInputs"/>). Inputs
    /// <c>x</c>, <c>z</c>, <c>noise</c>, <c>step_size</c> and one per weight array.
    /// </summary>
    public static LiveWeightGraph PosteriorLangevinWithWeightInputs(LatentEbmSpec spec, int steps, ChainForm form = ChainForm.Loop)
    {
        var g = new GraphBuilder("posterior_langevin", weightsAsInputs: true);
        return new LiveWeightGraph(PosteriorLangevin(g, spec, steps, form, null), g.WeightInputs);
    }

    private static ModelProto PosteriorLangevin(GraphBuilder g, LatentEbmSpec spec, int steps, ChainForm form, IReadOnlyDictionary<string, string>? card)
    {
        var x = g.Input("x", [-1, .. spec.ImageShape]);
        var z = g.Input("z", [-1, spec.Nz]);
        var noise = g.Input("noise", [steps, -1, spec.Nz]);
        var s = g.Input("step_size", []);
        g.Output(Chain(g, z, noise, s, steps, form, (b, zk) => GradLogPosterior(b, spec, x, zk)), "z_out");
        return g.BuildModel(card, $"{steps} Langevin steps on the posterior p(z|x)");
    }

    /// <summary>
    /// <c>x [B, C, H, W] → mu [B, nz], log_var [B, nz]</c>: the amortised posterior q(z|x) = N(mu(x), diag exp(log_var(x)))
    /// (PAPER.md, "Amortised posterior"; log_var is the natural log of sigma², unbounded).
    /// </summary>
    /// <exception cref="OnnxExportException"><paramref name="spec"/> has no encoder.</exception>
    public static ModelProto Encoder(LatentEbmSpec spec, IReadOnlyDictionary<string, string>? card = null)
    {
        var g = new GraphBuilder("encoder");
        var x = g.Input("x", [-1, .. spec.ImageShape]);
        var output = EncoderNetwork(spec).Forward(g, x)[^1];
        g.Output(Columns(g, output, 0, spec.Nz), "mu");
        g.Output(Columns(g, output, spec.Nz, 2 * spec.Nz), "log_var");
        return g.BuildModel(card, "the amortised posterior q(z|x) = N(mu(x), diag exp(log_var(x)))");
    }

    /// <summary>
    /// <c>x [B, C, H, W], noise [K, B, nz], step_size [] → z_out [B, nz]</c>: the chain of <see cref="PosteriorLangevin(LatentEbmSpec, int, ChainForm, IReadOnlyDictionary{string, string})"/>
    /// started at the encoder's mean mu(x) instead of an input z: K Langevin steps on log p(z|x) from z_0 = mu(x)
    /// (PAPER.md, "Amortised posterior"; all-zero noise gives the noiseless chain, K = 0 gives mu(x) itself).
    /// </summary>
    /// <exception cref="OnnxExportException"><paramref name="spec"/> has no encoder.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is negative.</exception>
    public static ModelProto AmortisedPosterior(LatentEbmSpec spec, int steps, ChainForm form, IReadOnlyDictionary<string, string>? card = null)
    {
        var g = new GraphBuilder("amortised_posterior");
        var x = g.Input("x", [-1, .. spec.ImageShape]);
        var noise = g.Input("noise", [steps, -1, spec.Nz]);
        var s = g.Input("step_size", []);
        var mu = Columns(g, EncoderNetwork(spec).Forward(g, x)[^1], 0, spec.Nz);
        g.Output(Chain(g, mu, noise, s, steps, form, (b, zk) => GradLogPosterior(b, spec, x, zk)), "z_out");
        return g.BuildModel(card, $"{steps} Langevin steps on the posterior p(z|x) from the encoder's mean mu(x)");
    }

    /// <summary><c>x [B, C, H, W], z [B, nz] → grad_z [B, nz]</c>: ∇_z log p(z|x), one posterior step's drift direction.</summary>
    public static ModelProto PosteriorGrad(LatentEbmSpec spec, IReadOnlyDictionary<string, string>? card = null)
    {
        var g = new GraphBuilder("posterior_grad");
        var x = g.Input("x", [-1, .. spec.ImageShape]);
        var z = g.Input("z", [-1, spec.Nz]);
        g.Output(GradLogPosterior(g, spec, x, z), "grad_z");
        return g.BuildModel(card, "gradient of log p(z|x) with respect to z");
    }

    /// <summary>
    /// <c>x [B, C, H, W], z [B, nz] → score [B]</c>: w_rec |x - g(z)|² - w_E f(z) + w_z |z|² (PAPER.md,
    /// "Anomaly detection on MNIST"; higher = more anomalous).
    /// </summary>
    public static ModelProto AnomalyScore(LatentEbmSpec spec, double reconstructionWeight, double energyWeight, double latentNormWeight,
        IReadOnlyDictionary<string, string>? card = null)
    {
        var g = new GraphBuilder("anomaly_score");
        var x = g.Input("x", [-1, .. spec.ImageShape]);
        var z = g.Input("z", [-1, spec.Nz]);
        var residual = g.Sub(x, spec.Generator.Forward(g, z)[^1]);
        var squaredError = g.SumRows(g.Mul(residual, residual));
        var f = F(g, spec, spec.Prior.Forward(g, z));
        var zNorm = g.SumRows(g.Mul(z, z));
        var score = g.Add(g.Sub(g.Mul(squaredError, (float)reconstructionWeight), g.Mul(f, (float)energyWeight)), g.Mul(zNorm, (float)latentNormWeight));
        g.Output(score, "score");
        return g.BuildModel(card, "anomaly score: w_rec |x - g(z)|^2 - w_E f(z) + w_z |z|^2");
    }

    private static Layers.Network EncoderNetwork(LatentEbmSpec spec) =>
        spec.Encoder ?? throw new OnnxExportException("the model has no encoder (its posterior chains start from noise)");

    /// <summary>Columns [start, end) of a <c>[B, n]</c> value.</summary>
    private static OnnxValue Columns(GraphBuilder g, OnnxValue x, long start, long end) =>
        g.Op("Slice", [x, g.Int64Constant("starts", [start]), g.Int64Constant("ends", [end]), g.Int64Constant("axes", [1])], [x.Shape[0], end - start]);

    /// <summary>f as <c>[B]</c> from the prior network's <c>[B, 1]</c> output.</summary>
    private static OnnxValue F(GraphBuilder g, LatentEbmSpec spec, IReadOnlyList<OnnxValue> acts) => g.Reshape(acts[^1], [-1]);

    /// <summary>∇_z log p(z) = ∇f(z) - z / sigma0².</summary>
    private static OnnxValue GradLogPrior(GraphBuilder g, LatentEbmSpec spec, OnnxValue z) => GradLogPrior(g, spec.Prior, spec.Sigma0, z);

    /// <summary>
    /// ∇_z log p_alpha(z) = ∇f(z) - z / sigma0² <c>[B, nz]</c> for a prior network f (<c>[B, nz]</c> → <c>[B, 1]</c>), from the
    /// network's VJP (PAPER.md, "Model"); shared by the image and the text chains.
    /// </summary>
    internal static OnnxValue GradLogPrior(GraphBuilder g, Layers.Network prior, double sigma0, OnnxValue z)
    {
        var gradF = prior.GradientOfSum(g, z);
        return g.Sub(gradF, g.Mul(z, (float)(1 / (sigma0 * sigma0))));
    }

    /// <summary>∇_z log p(z|x) = J_gᵀ (x - g(z)) / sigma² + ∇f(z) - z / sigma0².</summary>
    private static OnnxValue GradLogPosterior(GraphBuilder g, LatentEbmSpec spec, OnnxValue x, OnnxValue z)
    {
        var genActs = spec.Generator.Forward(g, z);
        var dy = g.Mul(g.Sub(x, genActs[^1]), (float)(1 / (spec.Sigma * spec.Sigma)));
        var gradLikelihood = spec.Generator.Backward(g, genActs, dy);
        return g.Add(gradLikelihood, GradLogPrior(g, spec, z));
    }

    /// <summary>K steps z ← z + (s²/2) grad(z) + s noise[k], unrolled or as a Loop.</summary>
    private static OnnxValue Chain(GraphBuilder g, OnnxValue z, OnnxValue noise, OnnxValue s, int steps,
        ChainForm form, Func<GraphBuilder, OnnxValue, OnnxValue> grad)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        var drift = g.Mul(g.Mul(s, s), 0.5f);
        OnnxValue Step(GraphBuilder b, OnnxValue zk, OnnxValue noiseK) =>
            b.Add(b.Add(zk, b.Mul(grad(b, zk), drift)), b.Mul(noiseK, s));

        if (form == ChainForm.Unrolled || steps == 0)
        {
            for (int k = 0; k < steps; k++)
                z = Step(g, z, g.Op("Gather", [noise, g.Int64Scalar("k", k)], z.Shape, Attr.Int("axis", 0)));
            return steps == 0 ? g.Unary("Identity", z) : z;
        }

        var body = g.Subgraph("langevin_step");
        var iteration = body.Input(body.Fresh("k"), TensorProto.Types.DataType.Int64, []);
        var conditionIn = body.Input(body.Fresh("cond_in"), TensorProto.Types.DataType.Bool, []);
        var zIn = body.Input(body.Fresh("z_in"), z.Shape);
        body.Output(conditionIn, body.Fresh("cond_out"), TensorProto.Types.DataType.Bool);
        var noiseK = body.Op("Gather", [noise, iteration], z.Shape, Attr.Int("axis", 0));
        body.Output(Step(body, zIn, noiseK), body.Fresh("z_next"));

        string output = g.Fresh("z_chain");
        g.Node("Loop", [g.Int64Scalar("K", steps).Name, g.BoolScalar("run", true).Name, z.Name], [output], Attr.Graph("body", body.Graph));
        return new OnnxValue(output, z.Shape);
    }
}

/// <summary>A graph whose weights are inputs (<see cref="LatentEbmGraphs.PriorLangevinWithWeightInputs"/>), with those inputs.</summary>
/// <param name="Model">The graph; it holds no weights.</param>
/// <param name="Weights">Its weight inputs, each naming the layer array it stands for (<see cref="GraphBuilder.WeightInputs"/>).</param>
public sealed record LiveWeightGraph(ModelProto Model, IReadOnlyList<WeightInput> Weights);
