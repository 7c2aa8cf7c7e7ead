using LatentEbm.Onnx.Layers;

namespace LatentEbm.Onnx.Graphs;

/// <summary>
/// What the exporter needs of a trained text latent EBM (PAPER.md, "Text model"): the LSTM decoder p_theta(x|z)'s sizes and
/// weights as float32 arrays in PyTorch's layouts, keyed by the TorchSharp <c>TextDecoder</c>'s <c>named_parameters()</c> /
/// <c>state_dict()</c> names (<see cref="WeightNames"/>), the prior network f_alpha (<c>[B, nz]</c> → <c>[B, 1]</c>, the
/// negative energy) and sigma0 of the reference prior N(0, sigma0² I).
/// The decoder: h0 = W_init z + b_init, c0 = 0; step t reads [embedding(token_t), z] (E + nz values); one LSTM layer with
/// PyTorch's gate order i, f, g, o; logits_t = W_ro h_t + b_ro. Token ids: <see cref="PadId"/>, <see cref="UnkId"/>,
/// <see cref="StartId"/>, <see cref="EndId"/> (those of <c>LatentEbm.Data.Text.Vocabulary</c>).
/// </summary>
public sealed class TextDecoderSpec
{
    /// <summary>&lt;pad&gt;: never read as a target (not scored), never emitted before &lt;/s&gt;.</summary>
    public const long PadId = 0;
    /// <summary>&lt;unk&gt;.</summary>
    public const long UnkId = 1;
    /// <summary>&lt;s&gt;: the first input token; never emitted by the decoding graphs.</summary>
    public const long StartId = 2;
    /// <summary>&lt;/s&gt;: ends a sentence.</summary>
    public const long EndId = 3;

    /// <summary><c>[V, E]</c> word embeddings.</summary>
    public const string EmbeddingName = "embedding.weight";
    /// <summary><c>[H, nz]</c> W_init of h0 = W_init z + b_init.</summary>
    public const string InitialWeightName = "initial.weight";
    /// <summary><c>[H]</c> b_init.</summary>
    public const string InitialBiasName = "initial.bias";
    /// <summary><c>[4H, E + nz]</c> input-to-gates weights (rows i, f, g, o; columns the embedding, then z).</summary>
    public const string WeightIhName = "lstm.weight_ih_l0";
    /// <summary><c>[4H, H]</c> hidden-to-gates weights.</summary>
    public const string WeightHhName = "lstm.weight_hh_l0";
    /// <summary><c>[4H]</c> input bias.</summary>
    public const string BiasIhName = "lstm.bias_ih_l0";
    /// <summary><c>[4H]</c> hidden bias.</summary>
    public const string BiasHhName = "lstm.bias_hh_l0";
    /// <summary><c>[V, H]</c> read-out W_ro.</summary>
    public const string ReadoutWeightName = "readout.weight";
    /// <summary><c>[V]</c> read-out bias b_ro.</summary>
    public const string ReadoutBiasName = "readout.bias";

    /// <summary>Every weight name the constructor reads, in the order of the decoder's <c>named_parameters()</c>.</summary>
    public static IReadOnlyList<string> WeightNames { get; } =
        [EmbeddingName, InitialWeightName, InitialBiasName, WeightIhName, WeightHhName, BiasIhName, BiasHhName, ReadoutWeightName, ReadoutBiasName];

    /// <summary>Checks the sizes, the weights' lengths and the prior's shape.</summary>
    /// <param name="vocabularySize">V, the four specials included (at least 5, as the TorchSharp decoder).</param>
    /// <param name="nz">Latent size.</param>
    /// <param name="embeddingSize">Word embedding size E.</param>
    /// <param name="hiddenSize">LSTM units H.</param>
    /// <param name="weights">Each of <see cref="WeightNames"/> to its values, row-major in PyTorch's layout (the arrays are kept, not copied).</param>
    /// <param name="prior">f_alpha, <c>[B, nz]</c> → <c>[B, 1]</c>.</param>
    /// <param name="sigma0">Reference prior standard deviation (&gt; 0, finite).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, V is below 5, or sigma0 is not positive and finite (named).</exception>
    /// <exception cref="ArgumentException">A weight is missing, unknown, null or of the wrong length (named, with its expected shape).</exception>
    /// <exception cref="OnnxExportException">The prior does not map <c>[B, nz]</c> to <c>[B, 1]</c>.</exception>
    public TextDecoderSpec(int vocabularySize, int nz, int embeddingSize, int hiddenSize, IReadOnlyDictionary<string, float[]> weights,
        Network prior, double sigma0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 5);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nz);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(embeddingSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        if (!(sigma0 > 0) || !double.IsFinite(sigma0)) throw new ArgumentOutOfRangeException(nameof(sigma0), sigma0, "sigma0 must be positive and finite");
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(prior);
        foreach (var name in weights.Keys)
            if (!WeightNames.Contains(name))
                throw new ArgumentException($"unknown text decoder weight '{name}'; expected {string.Join(", ", WeightNames)}", nameof(weights));
        if (prior.InputShape is not [_, var priorNz] || priorNz != nz || prior.OutputShape is not [_, 1])
            throw new OnnxExportException($"the prior must map [B, {nz}] to [B, 1]; it maps {Text(prior.InputShape)} to {Text(prior.OutputShape)}");

        V = vocabularySize; Nz = nz; E = embeddingSize; H = hiddenSize; Prior = prior; Sigma0 = sigma0;
        float[] Get(string name, params long[] shape)
        {
            if (!weights.TryGetValue(name, out var values) || values is null)
                throw new ArgumentException($"text decoder weight '{name}' [{string.Join(", ", shape)}] is missing", nameof(weights));
            long expected = shape.Aggregate(1L, (a, b) => a * b);
            if (values.Length != expected)
                throw new ArgumentException($"text decoder weight '{name}' has {values.Length} values; [{string.Join(", ", shape)}] needs {expected}", nameof(weights));
            return values;
        }
        Embedding = Get(EmbeddingName, V, E);
        InitialWeight = Get(InitialWeightName, H, nz);
        InitialBias = Get(InitialBiasName, H);
        WeightIh = Get(WeightIhName, 4 * H, E + nz);
        WeightHh = Get(WeightHhName, 4 * H, H);
        BiasIh = Get(BiasIhName, 4 * H);
        BiasHh = Get(BiasHhName, 4 * H);
        ReadoutWeight = Get(ReadoutWeightName, V, H);
        ReadoutBias = Get(ReadoutBiasName, V);
        Cell = new LstmCell(E + nz, H, WeightIh, WeightHh, BiasIh, BiasHh);
    }

    /// <summary>Vocabulary size V.</summary>
    public int V { get; }
    /// <summary>Latent size nz.</summary>
    public int Nz { get; }
    /// <summary>Embedding size E.</summary>
    public int E { get; }
    /// <summary>LSTM units H.</summary>
    public int H { get; }
    /// <summary><c>[V, E]</c>.</summary>
    public float[] Embedding { get; }
    /// <summary>W_init <c>[H, nz]</c>.</summary>
    public float[] InitialWeight { get; }
    /// <summary>b_init <c>[H]</c>.</summary>
    public float[] InitialBias { get; }
    /// <summary><c>[4H, E + nz]</c>, gate rows i, f, g, o.</summary>
    public float[] WeightIh { get; }
    /// <summary><c>[4H, H]</c>, gate rows i, f, g, o.</summary>
    public float[] WeightHh { get; }
    /// <summary><c>[4H]</c>.</summary>
    public float[] BiasIh { get; }
    /// <summary><c>[4H]</c>.</summary>
    public float[] BiasHh { get; }
    /// <summary>W_ro <c>[V, H]</c>.</summary>
    public float[] ReadoutWeight { get; }
    /// <summary>b_ro <c>[V]</c>.</summary>
    public float[] ReadoutBias { get; }
    /// <summary>f_alpha, the prior's negative energy.</summary>
    public Network Prior { get; }
    /// <summary>sigma0.</summary>
    public double Sigma0 { get; }

    /// <summary>The LSTM layer's weights as a cell (input size E + nz).</summary>
    public LstmCell Cell { get; }

    private static string Text(long[] s) => $"[{string.Join(", ", s.Select(d => d < 0 ? "B" : d.ToString()))}]";
}
