using Google.Protobuf;
using Onnx;

namespace LatentEbm.Onnx;

/// <summary>
/// Emits an ONNX graph (opset <see cref="Opset"/>, IR version <see cref="IrVersion"/>) node by node:
/// typed float32 inputs and outputs with a symbolic batch dimension <c>B</c>, weights as
/// initializers, and the handful of operators the layers need. A subgraph (a Loop body) shares the
/// root's name counter and initializers, so weights are stored once however often they are used.
/// Built with <c>weightsAsInputs</c>, the layers' weights become graph inputs instead (<see cref="WeightInputs"/>):
/// a graph built once then runs with whatever weights are fed, e.g. a trainer's live parameters.
/// </summary>
public sealed class GraphBuilder
{
    /// <summary>The default opset: 17, the oldest ONNX Runtime 1.31 accepts and what Debian 12's onnx 1.12 checker knows.</summary>
    public const long Opset = 17;

    /// <summary>The IR version written: 8, the newest Debian 12's onnx 1.12 checker accepts.</summary>
    public const long IrVersion = 8;

    /// <summary>Name of the symbolic batch dimension.</summary>
    public const string BatchDimension = "B";

    private readonly GraphBuilder root;
    private readonly GraphProto graph;
    private readonly Dictionary<string, int> counters;
    private readonly Dictionary<(float, string), OnnxValue> scalars = [];
    private readonly Dictionary<float[], OnnxValue> weights = new(ReferenceEqualityComparer.Instance);
    private readonly List<WeightInput> weightInputs = [];
    private readonly bool weightsAsInputs;

    /// <summary>Starts an empty graph named <paramref name="name"/>.</summary>
    /// <param name="name">The graph's name.</param>
    /// <param name="weightsAsInputs">False (the default): <see cref="Weight"/> stores each weight array as an initializer.
    /// True: each becomes a float32 graph input of its shape, listed in <see cref="WeightInputs"/>, and the graph holds no weights.</param>
    public GraphBuilder(string name, bool weightsAsInputs = false)
    {
        root = this;
        graph = new GraphProto { Name = name };
        counters = [];
        this.weightsAsInputs = weightsAsInputs;
    }

    private GraphBuilder(GraphBuilder parent, string name)
    {
        root = parent.root;
        graph = new GraphProto { Name = name };
        counters = root.counters;
    }

    /// <summary>A subgraph (for a Loop body) that may use this graph's values and initializers.</summary>
    public GraphBuilder Subgraph(string name) => new(this, name);

    /// <summary>The graph so far.</summary>
    public GraphProto Graph => graph;

    /// <summary>A new unique value name starting with <paramref name="hint"/>.</summary>
    public string Fresh(string hint)
    {
        counters.TryGetValue(hint, out int n);
        counters[hint] = n + 1;
        return n == 0 ? hint : $"{hint}_{n}";
    }

    /// <summary>Declares a float32 graph input of <paramref name="shape"/> (-1 = batch B).</summary>
    public OnnxValue Input(string name, long[] shape)
    {
        graph.Input.Add(ValueInfo(name, TensorProto.Types.DataType.Float, shape));
        return new OnnxValue(name, shape);
    }

    /// <summary>Declares a graph input of another element type (Loop bodies: int64 iteration, bool condition).</summary>
    public OnnxValue Input(string name, TensorProto.Types.DataType type, long[] shape)
    {
        graph.Input.Add(ValueInfo(name, type, shape));
        return new OnnxValue(name, shape);
    }

    /// <summary>
    /// Declares a graph input with named symbolic dimensions, e.g. <c>tokens</c> of shape <c>[B, T1]</c> whose two sizes vary
    /// independently: the i-th negative entry of <paramref name="shape"/> is the symbolic dimension <paramref name="symbols"/>[i]
    /// (in the returned value's shape every symbolic entry reads -1).
    /// </summary>
    /// <exception cref="OnnxExportException">The number of names is not the number of negative entries.</exception>
    public OnnxValue Input(string name, TensorProto.Types.DataType type, long[] shape, params string[] symbols)
    {
        if (shape.Count(d => d < 0) != symbols.Length)
            throw new OnnxExportException($"input {name}: {symbols.Length} names for {shape.Count(d => d < 0)} symbolic dimensions");
        graph.Input.Add(ValueInfo(name, type, shape, symbols));
        return new OnnxValue(name, [.. shape.Select(d => d < 0 ? -1L : d)]);
    }

    /// <summary>Declares <paramref name="value"/> as the graph output <paramref name="name"/> (an Identity renames it when needed).</summary>
    public OnnxValue Output(OnnxValue value, string name, TensorProto.Types.DataType type = TensorProto.Types.DataType.Float)
    {
        if (value.Name != name)
        {
            Node("Identity", [value.Name], [name]);
            value = value with { Name = name };
        }
        graph.Output.Add(ValueInfo(name, type, value.Shape));
        return value;
    }

    /// <summary>A float32 initializer (weights, constants) in the root graph.</summary>
    public OnnxValue Constant(string hint, ReadOnlySpan<float> data, long[] shape)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count != data.Length) throw new OnnxExportException($"constant {hint}: {data.Length} values for shape [{string.Join(", ", shape)}]");
        var tensor = new TensorProto { Name = root.Fresh(hint), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(shape);
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data));
        root.graph.Initializer.Add(tensor);
        return new OnnxValue(tensor.Name, shape);
    }

    /// <summary>
    /// The initializer holding <paramref name="data"/> (a layer's weights), created on first use and
    /// shared by every later use in this model (forward pass, VJP, each unrolled Langevin step). In a graph
    /// built with <c>weightsAsInputs</c>, a root-graph input of <paramref name="shape"/> instead, created on first
    /// use of the array (by reference) and listed in <see cref="WeightInputs"/>; the array's values are not stored.
    /// </summary>
    /// <exception cref="OnnxExportException">The array's length does not match <paramref name="shape"/>, or one array is used with two element counts.</exception>
    public OnnxValue Weight(string hint, float[] data, long[] shape)
    {
        if (root.weights.TryGetValue(data, out var v))
        {
            if (v.RowSize != shape.Aggregate(1L, (a, b) => a * b))
                throw new OnnxExportException($"weight {v.Name} is used as [{string.Join(", ", v.Shape)}] and as [{string.Join(", ", shape)}]");
            return v;
        }
        if (root.weightsAsInputs)
        {
            if (shape.Aggregate(1L, (a, b) => a * b) != data.Length || shape.Any(d => d < 0))
                throw new OnnxExportException($"weight {hint}: {data.Length} values for shape [{string.Join(", ", shape)}]");
            string name = root.Fresh(hint);
            root.graph.Input.Add(ValueInfo(name, TensorProto.Types.DataType.Float, shape));
            v = new OnnxValue(name, shape);
            root.weightInputs.Add(new WeightInput(name, data, shape));
        }
        else
        {
            v = Constant(hint, data, shape);
        }
        root.weights[data] = v;
        return v;
    }

    /// <summary>
    /// The graph inputs that stand for weights (only in a graph built with <c>weightsAsInputs</c>; empty otherwise), in the
    /// order they were first used: each names the array the layer was built with, so a caller can feed the tensor it came from.
    /// </summary>
    public IReadOnlyList<WeightInput> WeightInputs => root.weightInputs;

    /// <summary>An int64 initializer (shapes, axes).</summary>
    public OnnxValue Int64Constant(string hint, long[] data)
    {
        var tensor = new TensorProto { Name = root.Fresh(hint), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(data.Length);
        tensor.Int64Data.AddRange(data);
        root.graph.Initializer.Add(tensor);
        return new OnnxValue(tensor.Name, [data.Length]);
    }

    /// <summary>An int64 scalar initializer (shape []).</summary>
    public OnnxValue Int64Scalar(string hint, long value)
    {
        var tensor = new TensorProto { Name = root.Fresh(hint), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Int64Data.Add(value);
        root.graph.Initializer.Add(tensor);
        return new OnnxValue(tensor.Name, []);
    }

    /// <summary>A bool scalar initializer (shape []).</summary>
    public OnnxValue BoolScalar(string hint, bool value)
    {
        var tensor = new TensorProto { Name = root.Fresh(hint), DataType = (int)TensorProto.Types.DataType.Bool };
        tensor.Int32Data.Add(value ? 1 : 0);
        root.graph.Initializer.Add(tensor);
        return new OnnxValue(tensor.Name, []);
    }

    /// <summary>A float32 scalar constant (shape []), shared by value.</summary>
    public OnnxValue Scalar(float value)
    {
        var key = (value, "f");
        if (root.scalars.TryGetValue(key, out var v)) return v;
        v = Constant("c", [value], []);
        root.scalars[key] = v;
        return v;
    }

    /// <summary>Adds a node and returns its single output with the given static shape.</summary>
    public OnnxValue Op(string opType, IEnumerable<OnnxValue> inputs, long[] shape, params AttributeProto[] attributes)
    {
        string output = Fresh(opType.ToLowerInvariant());
        Node(opType, [.. inputs.Select(i => i.Name)], [output], attributes);
        return new OnnxValue(output, shape);
    }

    /// <summary>Adds a raw node (several outputs, empty optional inputs).</summary>
    public NodeProto Node(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Fresh("n_" + opType) };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return node;
    }

    // ----- element-wise arithmetic (numpy broadcasting; the result takes the first operand's shape
    // unless the second has a larger rank) -----

    /// <summary>a + b.</summary>
    public OnnxValue Add(OnnxValue a, OnnxValue b) => Op("Add", [a, b], Broadcast(a, b));

    /// <summary>a - b.</summary>
    public OnnxValue Sub(OnnxValue a, OnnxValue b) => Op("Sub", [a, b], Broadcast(a, b));

    /// <summary>a * b.</summary>
    public OnnxValue Mul(OnnxValue a, OnnxValue b) => Op("Mul", [a, b], Broadcast(a, b));

    /// <summary>a * c for a float constant c.</summary>
    public OnnxValue Mul(OnnxValue a, float c) => Mul(a, Scalar(c));

    /// <summary>Matrix product.</summary>
    public OnnxValue MatMul(OnnxValue a, OnnxValue b) => Op("MatMul", [a, b], [.. a.Shape[..^1], b.Shape[^1]]);

    /// <summary>A unary operator that keeps the shape (Tanh, Sigmoid, Erf, Exp, Relu, Neg...).</summary>
    public OnnxValue Unary(string opType, OnnxValue x, params AttributeProto[] attributes) => Op(opType, [x], x.Shape, attributes);

    /// <summary>Where(x &gt; 0, a, b) for a float x; a and b broadcast to x's shape.</summary>
    public OnnxValue WherePositive(OnnxValue x, OnnxValue a, OnnxValue b)
    {
        var positive = Op("Greater", [x, Scalar(0f)], x.Shape);
        return Op("Where", [positive, a, b], x.Shape);
    }

    /// <summary>Sum over every non-batch axis of a <c>[B, ...]</c> tensor: <c>[B]</c>.</summary>
    public OnnxValue SumRows(OnnxValue x)
    {
        var axes = Int64Constant("axes", [.. Enumerable.Range(1, x.Rank - 1).Select(i => (long)i)]);
        return Op("ReduceSum", [x, axes], [x.Shape[0]], Attr.Int("keepdims", 0));
    }

    /// <summary>Reshape to <paramref name="shape"/> (-1 = batch, inferred).</summary>
    public OnnxValue Reshape(OnnxValue x, long[] shape) => Op("Reshape", [x, Int64Constant("shape", shape)], shape);

    /// <summary>A tensor of ones shaped like <paramref name="like"/>.</summary>
    public OnnxValue OnesLike(OnnxValue like)
    {
        var shape = Op("Shape", [like], [like.Rank]);
        return Op("Expand", [Scalar(1f), shape], like.Shape);
    }

    /// <summary>Numpy-style broadcast of two shapes (-1 = symbolic batch; a 1 takes the other side's size).</summary>
    private static long[] Broadcast(OnnxValue a, OnnxValue b)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        var shape = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long da = i < rank - a.Rank ? 1 : a.Shape[i - (rank - a.Rank)];
            long db = i < rank - b.Rank ? 1 : b.Shape[i - (rank - b.Rank)];
            shape[i] = da == 1 ? db : db == 1 ? da : da == -1 ? db : da;
        }
        return shape;
    }

    /// <summary>Wraps the graph in a model with opset, IR version, producer and metadata (the model card).</summary>
    public ModelProto BuildModel(IReadOnlyDictionary<string, string>? metadata = null, string docString = "")
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "LatentEbm",
            ProducerVersion = typeof(GraphBuilder).Assembly.GetName().Version?.ToString() ?? "0",
            DocString = docString,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, long[] shape, string[]? symbols = null)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = new TensorShapeProto() };
        int symbol = 0;
        foreach (var d in shape)
            tensorType.Shape.Dim.Add(d < 0
                ? new TensorShapeProto.Types.Dimension { DimParam = symbols is null ? BatchDimension : symbols[symbol++] }
                : new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }
}

/// <summary>A graph input that stands for a layer's weights (<see cref="GraphBuilder.WeightInputs"/>).</summary>
/// <param name="Name">The input's name in the graph.</param>
/// <param name="Source">The weight array the layer was built with (compared by reference: it identifies the parameter to feed).</param>
/// <param name="Shape">The input's shape (no batch dimension); its element count is <paramref name="Source"/>'s length.</param>
public sealed record WeightInput(string Name, float[] Source, long[] Shape);
