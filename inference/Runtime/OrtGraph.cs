using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace LatentEbm.Inference.Runtime;

/// <summary>
/// One ONNX graph loaded into an ONNX Runtime session, run on the <see cref="OrtValue"/> API: inputs are tensors over the
/// caller's arrays (no copy), checked against the graph's signature first so that a wrong name, type or shape is a
/// <see cref="GraphInputException"/> naming the input rather than a native error; outputs are copied out with their shapes
/// and every native value is disposed before <see cref="Run(IReadOnlyList{GraphInput}, IReadOnlyList{string}?)"/> returns.
/// Thread-safe: ONNX Runtime sessions take concurrent runs, and this class holds no per-run state.
/// </summary>
public sealed class OrtGraph : IDisposable
{
    private readonly Dictionary<string, NodeMetadata> inputs;

    private OrtGraph(InferenceSession session)
    {
        Session = session;
        inputs = new Dictionary<string, NodeMetadata>(session.InputMetadata);
        InputNames = [.. session.InputNames];
        OutputNames = [.. session.OutputNames];
    }

    /// <summary>
    /// Loads the graph at <paramref name="path"/> (by path, so ONNX Runtime finds external weights next to it). The session
    /// options, when given, are created for this session and disposed once it exists.
    /// </summary>
    /// <param name="path">The <c>.onnx</c> file.</param>
    /// <param name="options">Makes the session options (execution provider, threads); ONNX Runtime's defaults when null.</param>
    /// <exception cref="OnnxRuntimeException">The file is not a loadable ONNX model.</exception>
    public static OrtGraph Load(string path, Func<SessionOptions>? options = null)
    {
        using var sessionOptions = options?.Invoke() ?? new SessionOptions();
        return new OrtGraph(new InferenceSession(path, sessionOptions));
    }

    /// <summary>Loads a serialised graph; as <see cref="Load(string, Func{SessionOptions}?)"/>.</summary>
    /// <param name="model">The serialised <c>ModelProto</c>.</param>
    /// <param name="options">Makes the session options; ONNX Runtime's defaults when null.</param>
    /// <exception cref="OnnxRuntimeException">The bytes are not a loadable ONNX model.</exception>
    public static OrtGraph Load(byte[] model, Func<SessionOptions>? options = null)
    {
        using var sessionOptions = options?.Invoke() ?? new SessionOptions();
        return new OrtGraph(new InferenceSession(model, sessionOptions));
    }

    /// <summary>The ONNX Runtime session (its metadata; run it through <see cref="Run(GraphInput[])"/>).</summary>
    public InferenceSession Session { get; }

    /// <summary>The graph's input names, in graph order.</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>The graph's output names, in graph order.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Runs the graph on <paramref name="inputs"/> and returns every output by name.</summary>
    /// <exception cref="GraphInputException">An input does not fit the graph's signature; it names the input.</exception>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime failed running the graph on inputs of the right signature (e.g. an index out of range).</exception>
    public IReadOnlyDictionary<string, GraphOutput> Run(params GraphInput[] inputs) => Run(inputs, null);

    /// <summary>Runs the graph on <paramref name="inputs"/> and returns the outputs <paramref name="outputs"/> (all when null) by name.</summary>
    /// <param name="inputs">Every graph input exactly once, in any order.</param>
    /// <param name="outputs">The outputs to compute; every output when null.</param>
    /// <exception cref="GraphInputException">An input does not fit the graph's signature; it names the input.</exception>
    /// <exception cref="ArgumentException">An output name the graph does not have.</exception>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime failed running the graph on inputs of the right signature (e.g. an index out of range).</exception>
    public IReadOnlyDictionary<string, GraphOutput> Run(IReadOnlyList<GraphInput> inputs, IReadOnlyList<string>? outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Check(inputs);
        outputs ??= OutputNames;
        foreach (var name in outputs)
            if (!OutputNames.Contains(name))
                throw new ArgumentException($"the graph has no output '{name}' (it has {string.Join(", ", OutputNames)})", nameof(outputs));

        var values = new List<OrtValue>(inputs.Count);
        try
        {
            foreach (var input in inputs) values.Add(input.ToOrtValue());
            using var runOptions = new RunOptions();
            using var results = Session.Run(runOptions, [.. inputs.Select(i => i.Name)], values, outputs);
            var read = new Dictionary<string, GraphOutput>(outputs.Count);
            for (int i = 0; i < outputs.Count; i++)
            {
                var info = results[i].GetTensorTypeAndShape();
                read[outputs[i]] = info.ElementDataType switch
                {
                    TensorElementType.Float => new GraphOutput(outputs[i], info.Shape, results[i].GetTensorDataAsSpan<float>().ToArray(), null),
                    TensorElementType.Int64 => new GraphOutput(outputs[i], info.Shape, null, results[i].GetTensorDataAsSpan<long>().ToArray()),
                    var type => throw new NotSupportedException($"output '{outputs[i]}' is {type}; only float32 and int64 outputs are read"),
                };
            }
            return read;
        }
        finally
        {
            foreach (var value in values) value.Dispose();
        }
    }

    /// <summary>Checks names, element types, ranks, fixed and symbolic dimensions and value counts against the graph's inputs.</summary>
    private void Check(IReadOnlyList<GraphInput> given)
    {
        var seen = new HashSet<string>();
        var symbols = new Dictionary<string, (long Size, string Input)>();
        foreach (var input in given)
        {
            ArgumentNullException.ThrowIfNull(input, nameof(given));
            string name = input.Name;
            if (!inputs.TryGetValue(name, out var meta))
                throw new GraphInputException(name, $"the graph has no such input (it takes {string.Join(", ", InputNames)})");
            if (!seen.Add(name)) throw new GraphInputException(name, "given twice");
            if (meta.ElementDataType != input.ElementType)
                throw new GraphInputException(name, $"{TypeName(input.ElementType)} given, the graph takes {TypeName(meta.ElementDataType)}");
            string expected = $"[{string.Join(", ", meta.Dimensions.Select((d, i) => d >= 0 ? d.ToString() : Symbol(meta, i) ?? "?"))}]";
            string shape = $"[{string.Join(", ", input.Shape)}]";
            if (input.Shape.Length != meta.Dimensions.Length)
                throw new GraphInputException(name, $"shape {shape} has rank {input.Shape.Length}, the graph takes {expected}");
            long count = 1;
            for (int i = 0; i < input.Shape.Length; i++)
            {
                long size = input.Shape[i];
                if (size < 0) throw new GraphInputException(name, $"shape {shape} has a negative dimension");
                if (meta.Dimensions[i] >= 0 && size != meta.Dimensions[i])
                    throw new GraphInputException(name, $"shape {shape} does not fit the graph's {expected} (dimension {i} is {size}, expected {meta.Dimensions[i]})");
                if (meta.Dimensions[i] < 0 && Symbol(meta, i) is { } symbol)
                {
                    if (symbols.TryGetValue(symbol, out var bound) && bound.Size != size)
                        throw new GraphInputException(name, $"shape {shape} sets {symbol} (dimension {i}) to {size}, but input '{bound.Input}' set it to {bound.Size}");
                    symbols[symbol] = (size, name);
                }
                if (size > 0 && count > int.MaxValue / size)
                    throw new GraphInputException(name, $"shape {shape} holds more than {int.MaxValue} values");
                count *= size;
            }
            if (count != input.Length)
                throw new GraphInputException(name, $"{input.Length} values given for shape {shape} ({count} values)");
        }
        if (InputNames.FirstOrDefault(n => !seen.Contains(n)) is { } missing)
            throw new GraphInputException(missing, $"missing (the graph takes {string.Join(", ", InputNames)})");
    }

    private static string? Symbol(NodeMetadata meta, int dimension) =>
        meta.SymbolicDimensions is { } names && dimension < names.Length && !string.IsNullOrEmpty(names[dimension]) ? names[dimension] : null;

    private static string TypeName(TensorElementType type) => type switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.Int64 => "int64",
        _ => type.ToString(),
    };

    /// <inheritdoc />
    public void Dispose() => Session.Dispose();
}
