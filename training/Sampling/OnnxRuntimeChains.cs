using LatentEbm.Onnx;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Onnx.Layers;
using LatentEbm.Training.Export;
using LatentEbm.Training.Model;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Sampling;

/// <summary>
/// Runs the training chains of a model (<see cref="LangevinSampler.PriorChain"/>, <see cref="LangevinSampler.PosteriorChain"/>:
/// the same update z ← z + (s²/2) ∇ log p + s ε, PAPER.md "Learning") through ONNX Runtime on the CPU, with the networks'
/// <b>live</b> TorchSharp parameters: each chain is one ONNX graph (a Loop node over the steps, derived from the layers'
/// forward passes and vector-Jacobian products by <see cref="LatentEbmGraphs"/>) whose weights are graph inputs, built once
/// per chain kind and length. Each run feeds the parameters' own float32 memory (no copy), the start, the noise
/// <c>[K, B, nz]</c> and the images, and ONNX Runtime writes z_K straight into a new TorchSharp tensor. Parameter updates
/// between runs (Adam, a checkpoint restored into the same tensors) are seen by the next run; nothing is exported again.
/// </summary>
/// <remarks>
/// CPU only, float32 only; the networks must describe themselves as layer sequences (<see cref="ILayerSequence"/>: the MLP
/// prior, the MLP and conv generators) of layers whose weights are parameters (Linear, Conv2d, ConvTranspose2d and
/// activations; not BatchNorm2d, whose graph uses derived constants). Results equal the TorchSharp chain's up to float32
/// rounding (tested against a float64 reference of the same chain and noise), and are deterministic for a given thread count.
/// The session is run directly, not through <see cref="LatentEbm.Inference.Runtime.OrtGraph"/> (which copies its outputs out):
/// the inputs are libtorch's own memory and z_K is written into a preallocated tensor.
/// </remarks>
public sealed class OnnxRuntimeChains : IDisposable
{
    private readonly LatentEbmSpec spec;
    private readonly Dictionary<float[], Func<Tensor>> parameters = new(ReferenceEqualityComparer.Instance);
    private readonly List<Tensor> owned = [];
    private readonly Dictionary<(bool Posterior, int Steps), Chain> chains = [];
    private readonly RunOptions runOptions = new();
    private bool disposed;

    /// <summary>Describes <paramref name="model"/>'s networks for ONNX Runtime; sessions are made on a chain's first run.</summary>
    /// <param name="model">The model whose prior and generator the chains use (their parameters are read at every run).</param>
    /// <param name="threads">ONNX Runtime's intra-op threads (the trainer passes torch's thread count).</param>
    /// <exception cref="NotSupportedException">A network is not a layer sequence, holds a layer with derived constants
    /// (BatchNorm2d), or has parameters that are not float32 on the CPU.</exception>
    /// <exception cref="OnnxExportException">A layer has no ONNX form (the message names it).</exception>
    public OnnxRuntimeChains(LatentEbmModel model, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        Model = model;
        spec = new LatentEbmSpec(Describe(model.Prior, "prior", parameters, owned), Describe(model.Generator, "generator", parameters, owned), model.Sigma, model.Sigma0);
        Threads = threads;
    }

    /// <summary>The model whose networks the chains run.</summary>
    public LatentEbmModel Model { get; }

    /// <summary>ONNX Runtime's intra-op threads.</summary>
    public int Threads { get; }

    /// <summary>
    /// The prior chain: K steps on log p_alpha(z) = f(z) - |z|²/(2 sigma0²) from <paramref name="z0"/>, K = the noise's first
    /// dimension.
    /// </summary>
    /// <param name="z0">Start <c>[B, nz]</c>, float32 on the CPU; not modified.</param>
    /// <param name="noise">The standard-normal draws of every step, <c>[K, B, nz]</c>: step k adds s · noise[k].</param>
    /// <param name="stepSize">s (&gt; 0).</param>
    /// <returns>z_K <c>[B, nz]</c>, a new float32 tensor without autograd history.</returns>
    /// <exception cref="ArgumentException">Shapes that do not fit the model, or tensors that are not float32 on the CPU.</exception>
    public Tensor PriorChain(Tensor z0, Tensor noise, double stepSize) => Run(false, null, z0, noise, stepSize);

    /// <summary>
    /// The posterior chain: K steps on log p(z|x) = -|x - g(z)|²/(2 sigma²) + f(z) - |z|²/(2 sigma0²) from <paramref name="z0"/>,
    /// K = the noise's first dimension.
    /// </summary>
    /// <param name="x">Images <c>[B, C, H, W]</c> of the generator's output shape, float32 on the CPU.</param>
    /// <param name="z0">Start <c>[B, nz]</c>; not modified.</param>
    /// <param name="noise">Standard-normal draws <c>[K, B, nz]</c>.</param>
    /// <param name="stepSize">s (&gt; 0).</param>
    /// <returns>z_K <c>[B, nz]</c>, a new float32 tensor without autograd history.</returns>
    /// <exception cref="ArgumentException">Shapes that do not fit the model, or tensors that are not float32 on the CPU.</exception>
    public Tensor PosteriorChain(Tensor x, Tensor z0, Tensor noise, double stepSize) => Run(true, x, z0, noise, stepSize);

    private Tensor Run(bool posterior, Tensor? x, Tensor z0, Tensor noise, double stepSize)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (!(stepSize > 0)) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "Langevin step size must be positive");
        long nz = spec.Nz;
        if (z0.dim() != 2 || z0.shape[1] != nz) throw new ArgumentException($"the start must be [B, {nz}], got [{string.Join(", ", z0.shape)}]");
        long batch = z0.shape[0];
        if (noise.dim() != 3 || noise.shape[1] != batch || noise.shape[2] != nz)
            throw new ArgumentException($"the noise must be [K, {batch}, {nz}], got [{string.Join(", ", noise.shape)}]");
        if (x is not null && !x.shape.SequenceEqual([batch, .. spec.ImageShape]))
            throw new ArgumentException($"the images must be [{batch}, {string.Join(", ", spec.ImageShape)}], got [{string.Join(", ", x.shape)}]");
        int steps = checked((int)noise.shape[0]);
        if (steps == 0 || batch == 0) return z0.detach().clone();

        var chain = ChainFor(posterior, steps);
        using var scope = NewDisposeScope();
        var zIn = Contiguous(z0, "start");
        var eps = Contiguous(noise, "noise");
        var images = x is null ? null : Contiguous(x, "images");
        var output = empty([batch, nz], float32).MoveToOuterDisposeScope();
        var values = new List<OrtValue>(chain.InputNames.Length);
        float[] step = [(float)stepSize];
        try
        {
            foreach (var name in chain.InputNames)
            {
                values.Add(name switch
                {
                    "x" => Over(images!, images!.shape),
                    "z" => Over(zIn, zIn.shape),
                    "noise" => Over(eps, eps.shape),
                    "step_size" => OrtValue.CreateTensorValueFromMemory(step, []),
                    _ => OverParameter(chain.Weights[name], name),
                });
            }
            using var result = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, [batch, nz],
                DataPointer(output), batch * nz * sizeof(float));
            chain.Session.Run(runOptions, chain.InputNames, values, ["z_out"], [result]);
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
        GC.KeepAlive(zIn); GC.KeepAlive(eps); GC.KeepAlive(images);
        return output;
    }

    /// <summary>The session of a chain kind and length, built on first use.</summary>
    private Chain ChainFor(bool posterior, int steps)
    {
        if (chains.TryGetValue((posterior, steps), out var chain)) return chain;
        var graph = posterior ? LatentEbmGraphs.PosteriorLangevinWithWeightInputs(spec, steps) : LatentEbmGraphs.PriorLangevinWithWeightInputs(spec, steps);
        InferenceSession session;
        using (var options = SessionOptionsFor(Threads))
            session = new InferenceSession(graph.Model.ToByteArray(), options);
        var weights = graph.Weights.ToDictionary(w => w.Name, w => (parameters[w.Source], w.Shape));
        string[] names = [.. session.InputMetadata.Keys];
        chain = new Chain(session, names, weights);
        chains[(posterior, steps)] = chain;
        return chain;
    }

    /// <summary>Session options of a training chain: CPU, sequential, <paramref name="threads"/> intra-op threads that do not spin.</summary>
    internal static SessionOptions SessionOptionsFor(int threads)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // Between chains libtorch runs the updates on the same cores: ONNX Runtime's idle threads must not spin.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return options;
    }

    /// <summary>
    /// The network's layers for the graph builder, remembering in <paramref name="parameters"/> which parameter each weight
    /// array came from (a missing Linear bias becomes a zero tensor added to <paramref name="owned"/>).
    /// </summary>
    internal static Network Describe(nn.Module<Tensor, Tensor> network, string role, Dictionary<float[], Func<Tensor>> parameters, List<Tensor> owned)
    {
        void Bind(float[] array, Func<Tensor> find, string role) => BindParameter(parameters, array, find, role);
        Tensor Owned(Tensor t)
        {
            owned.Add(t);
            return t;
        }
        if (network is not ILayerSequence sequence)
            throw new NotSupportedException($"the {role} {network.GetType().Name} does not describe its layers ({nameof(ILayerSequence)}); its chains need the torch engine");
        var layers = new List<Layer>();
        foreach (var module in sequence.Layers())
        {
            var layer = ModuleExporter.ToLayer(module);
            switch (module, layer)
            {
                case (TorchSharp.Modules.Linear l, Onnx.Layers.Linear linear):
                    Bind(linear.Weight, () => l.weight!, role);
                    var noBias = l.bias is null ? Owned(zeros(l.out_features)) : null;
                    Bind(linear.Bias, () => l.bias ?? noBias!, role);
                    break;
                case (TorchSharp.Modules.Convolution c, Convolution2d conv):
                    Bind(conv.Weight, () => c.weight!, role);
                    if (conv.Bias is not null) Bind(conv.Bias, () => c.bias!, role);
                    break;
                case (_, BatchNorm2d):
                    throw new NotSupportedException($"the {role} has {layer.Describe()}, whose chain graph uses constants derived from its statistics; its chains need the torch engine");
            }
            layers.Add(layer);
        }
        return new Network(layers, sequence.InputShape);
    }

    /// <summary>Remembers how to find the parameter (looked up at every run: a restored checkpoint may bring new tensors).</summary>
    /// <exception cref="NotSupportedException">The parameter is not float32 on the CPU.</exception>
    internal static void BindParameter(Dictionary<float[], Func<Tensor>> parameters, float[] array, Func<Tensor> find, string role)
    {
        var parameter = find();
        if (parameter.dtype != float32 || parameter.device_type != DeviceType.CPU)
            throw new NotSupportedException($"the {role}'s parameters are {parameter.dtype} on {parameter.device}; ONNX Runtime chains need float32 on the CPU");
        parameters[array] = find;
    }

    /// <summary>An OrtValue over a parameter's own memory, shaped as the graph input.</summary>
    internal static OrtValue OverParameter((Func<Tensor> Parameter, long[] Shape) weight, string name)
    {
        var (find, shape) = weight;
        var p = find();
        if (p.device_type != DeviceType.CPU || !p.is_contiguous() || p.numel() != shape.Aggregate(1L, (a, b) => a * b) || p.dtype != float32)
            throw new InvalidOperationException($"parameter {name} is no longer a contiguous float32 CPU tensor of {string.Join("x", shape)} values");
        return Over(p, shape);
    }

    /// <summary>An OrtValue over a contiguous CPU float32 tensor's memory (no copy); the tensor must outlive it.</summary>
    internal static OrtValue Over(Tensor t, long[] shape) =>
        OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shape, DataPointer(t), t.numel() * sizeof(float));

    /// <summary>
    /// The address of a contiguous CPU tensor's first element: <see cref="Tensor.bytes"/> is a span over libtorch's own
    /// memory (TorchSharp 0.107 has no <c>data_ptr</c>), which the garbage collector never moves.
    /// </summary>
    internal static unsafe IntPtr DataPointer(Tensor t) =>
        (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    /// <summary>A detached contiguous float32 CPU view of <paramref name="t"/> (a copy only when it is not one already).</summary>
    internal static Tensor Contiguous(Tensor t, string what)
    {
        if (t.dtype != float32 || t.device_type != DeviceType.CPU)
            throw new ArgumentException($"the {what} must be float32 on the CPU, got {t.dtype} on {t.device}");
        return t.detach().contiguous();
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
