using LatentEbm.Onnx.Graphs;
using LatentEbm.Training.Text;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Sampling;

/// <summary>
/// Runs the text model's posterior chain (<see cref="TextTrainer"/>: K1 steps z ← z + (s_k²/2) ∇_z log p(z|x) + s_k ε on
/// log p(z|x) = log p_theta(x|z) + f(z) - |z|²/(2 sigma0²), PAPER.md "Text model") through ONNX Runtime on the CPU with the
/// <b>live</b> TorchSharp parameters of the <see cref="TextDecoder"/> and the prior MLP: one graph per step-size schedule
/// (<see cref="TextGraphs.PosteriorLangevinWithWeightInputs"/>, a Loop over the steps around the hand-written
/// backpropagation through time), built once, whose weights are graph inputs. Each run feeds the parameters' own float32
/// memory (no copy), the start, the int64 tokens and the noise <c>[K, B, nz]</c>; ONNX Runtime writes z_K straight into a
/// new TorchSharp tensor. Parameter updates between runs (Adam, a restored checkpoint) are seen by the next run.
/// </summary>
/// <remarks>
/// The graph has no dropout: it is the decoder in evaluation mode, as <see cref="TextLatentEbm.GradLogPosterior"/> runs it,
/// whatever the decoder's mode. CPU and float32 only. Results equal the TorchSharp chain's up to float32 rounding (tested
/// against a PyTorch float64 reference of the same chain, weights, tokens and noise).
/// </remarks>
public sealed class OnnxRuntimeTextChains : IDisposable
{
    private readonly TextDecoderSpec spec;
    private readonly Dictionary<float[], Func<Tensor>> parameters = new(ReferenceEqualityComparer.Instance);
    private readonly List<Tensor> owned = [];
    private readonly Dictionary<string, Chain> chains = [];
    private readonly RunOptions runOptions = new();
    private bool disposed;

    /// <summary>Describes <paramref name="model"/>'s decoder and prior for ONNX Runtime; a session is made on a schedule's first run.</summary>
    /// <param name="model">The model whose decoder and prior the chain uses (their parameters are read at every run).</param>
    /// <param name="threads">ONNX Runtime's intra-op threads (the trainer passes torch's thread count).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is not positive.</exception>
    /// <exception cref="NotSupportedException">A parameter is not float32 on the CPU.</exception>
    public OnnxRuntimeTextChains(TextLatentEbm model, int threads)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        Model = model;
        var decoder = model.Decoder;
        var prior = OnnxRuntimeChains.Describe(model.Prior, "prior", parameters, owned);
        var named = decoder.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var arrays = new Dictionary<string, float[]>();
        foreach (var name in TextDecoderSpec.WeightNames)
        {
            if (!named.TryGetValue(name, out var parameter))
                throw new NotSupportedException($"the text decoder has no parameter '{name}'");
            // The array only identifies the weight input; its values are never read (the graph takes the parameter's memory).
            arrays[name] = new float[parameter.numel()];
            OnnxRuntimeChains.BindParameter(parameters, arrays[name], () => decoder.get_parameter(name)!, "text decoder");
        }
        spec = new TextDecoderSpec(decoder.VocabularySize, decoder.Nz, decoder.EmbeddingSize, decoder.HiddenSize, arrays, prior, model.Sigma0);
        Threads = threads;
    }

    /// <summary>The model whose networks the chain runs.</summary>
    public TextLatentEbm Model { get; }

    /// <summary>ONNX Runtime's intra-op threads.</summary>
    public int Threads { get; }

    /// <summary>
    /// The posterior chain: K = <paramref name="stepSizes"/>.Count steps z ← z + (s_k²/2) ∇_z log p(z|x) + s_k noise[k] from
    /// <paramref name="z0"/>, decoder without dropout.
    /// </summary>
    /// <param name="tokens">Sentences <c>[B, T + 1]</c>, int64 on the CPU (<see cref="SentenceBatch.Tokens"/>), every id in [0, V).</param>
    /// <param name="z0">Start <c>[B, nz]</c>, float32 on the CPU; not modified.</param>
    /// <param name="noise">The standard-normal draws of every step, <c>[K, B, nz]</c> float32.</param>
    /// <param name="stepSizes">s_0 ... s_{K-1}, each positive and finite (the session of a schedule is built on its first use).</param>
    /// <returns>z_K <c>[B, nz]</c>, a new float32 tensor without autograd history.</returns>
    /// <exception cref="ArgumentException">Shapes that do not fit the model or each other, tensors of the wrong type or device, or a bad step size.</exception>
    public Tensor PosteriorChain(Tensor tokens, Tensor z0, Tensor noise, IReadOnlyList<double> stepSizes)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(stepSizes);
        long nz = spec.Nz;
        if (z0.dim() != 2 || z0.shape[1] != nz) throw new ArgumentException($"the start must be [B, {nz}], got [{string.Join(", ", z0.shape)}]");
        long batch = z0.shape[0];
        if (noise.dim() != 3 || noise.shape[0] != stepSizes.Count || noise.shape[1] != batch || noise.shape[2] != nz)
            throw new ArgumentException($"the noise must be [{stepSizes.Count}, {batch}, {nz}] (one draw per step size), got [{string.Join(", ", noise.shape)}]");
        if (tokens.dim() != 2 || tokens.shape[0] != batch || tokens.shape[1] < 2)
            throw new ArgumentException($"the tokens must be [{batch}, T + 1] with T ≥ 1, got [{string.Join(", ", tokens.shape)}]");
        if (tokens.dtype != int64 || tokens.device_type != DeviceType.CPU)
            throw new ArgumentException($"the tokens must be int64 on the CPU, got {tokens.dtype} on {tokens.device}");
        if (batch == 0) return z0.detach().clone();

        var chain = ChainFor(stepSizes);
        using var scope = NewDisposeScope();
        var zIn = OnnxRuntimeChains.Contiguous(z0, "start");
        var eps = OnnxRuntimeChains.Contiguous(noise, "noise");
        var ids = tokens.detach().contiguous();
        var output = empty([batch, nz], float32).MoveToOuterDisposeScope();
        var values = new List<OrtValue>(chain.InputNames.Length);
        try
        {
            foreach (var name in chain.InputNames)
            {
                values.Add(name switch
                {
                    "z" => OnnxRuntimeChains.Over(zIn, zIn.shape),
                    "noise" => OnnxRuntimeChains.Over(eps, eps.shape),
                    "tokens" => OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Int64, ids.shape,
                        OnnxRuntimeChains.DataPointer(ids), ids.numel() * sizeof(long)),
                    _ => OnnxRuntimeChains.OverParameter(chain.Weights[name], name),
                });
            }
            using var result = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, [batch, nz],
                OnnxRuntimeChains.DataPointer(output), batch * nz * sizeof(float));
            chain.Session.Run(runOptions, chain.InputNames, values, ["z_K"], [result]);
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
        GC.KeepAlive(zIn); GC.KeepAlive(eps); GC.KeepAlive(ids);
        return output;
    }

    /// <summary>The session of a step-size schedule, built on first use.</summary>
    private Chain ChainFor(IReadOnlyList<double> stepSizes)
    {
        string key = string.Join(",", stepSizes.Select(s => s.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
        if (chains.TryGetValue(key, out var chain)) return chain;
        var graph = TextGraphs.PosteriorLangevinWithWeightInputs(spec, stepSizes);
        InferenceSession session;
        using (var options = OnnxRuntimeChains.SessionOptionsFor(Threads))
            session = new InferenceSession(graph.Model.ToByteArray(), options);
        var weights = graph.Weights.ToDictionary(w => w.Name, w => (parameters[w.Source], w.Shape));
        chain = new Chain(session, [.. session.InputMetadata.Keys], weights);
        chains[key] = chain;
        return chain;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var chain in chains.Values) chain.Session.Dispose();
        foreach (var t in owned) t.Dispose();
        runOptions.Dispose();
    }

    private sealed record Chain(InferenceSession Session, string[] InputNames, Dictionary<string, (Func<Tensor> Parameter, long[] Shape)> Weights);
}
