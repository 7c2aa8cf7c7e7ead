using LatentEbm.Data.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LatentEbm.Training.Text;

/// <summary>
/// The text generator p_theta(x|z) (PAPER.md, "Text model"): a one-layer LSTM over word embeddings, with the latent z
/// entering the initial state (h0 = W_h z + b_h, c0 = 0) and every input step (the step's input is the embedding of the
/// previous word concatenated with z), and a categorical likelihood over the vocabulary from a linear read-out of
/// each hidden state. Teacher forcing: the inputs are <c>&lt;s&gt; w1 ... wn</c>, the targets <c>w1 ... wn &lt;/s&gt;</c>;
/// padding is neither read nor scored. Dropout (on the embeddings and on the hidden states before the read-out)
/// acts only in training mode; the Langevin chains run the decoder in evaluation mode, so their target is deterministic.
/// </summary>
public sealed class TextDecoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Embedding embedding;
    private readonly Linear initial;
    private readonly LSTM lstm;
    private readonly Linear readout;
    private readonly Dropout dropout;

    /// <summary>Creates the decoder with PyTorch's default initialisation.</summary>
    /// <param name="vocabularySize">V, the specials included (at least 5).</param>
    /// <param name="nz">Latent size.</param>
    /// <param name="embeddingSize">Word embedding size E (PAPER.md: 256).</param>
    /// <param name="hiddenSize">LSTM units H (PAPER.md: 256).</param>
    /// <param name="dropoutRate">Dropout probability in [0, 1) (PAPER.md: 0.5).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, V is below 5 or the rate is outside [0, 1).</exception>
    public TextDecoder(int vocabularySize, int nz, int embeddingSize, int hiddenSize, double dropoutRate) : base(nameof(TextDecoder))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 5);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nz);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(embeddingSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        if (!(dropoutRate >= 0 && dropoutRate < 1)) throw new ArgumentOutOfRangeException(nameof(dropoutRate), dropoutRate, "dropout must lie in [0, 1)");
        VocabularySize = vocabularySize;
        Nz = nz;
        EmbeddingSize = embeddingSize;
        HiddenSize = hiddenSize;
        DropoutRate = dropoutRate;
        embedding = nn.Embedding(vocabularySize, embeddingSize);
        initial = nn.Linear(nz, hiddenSize);
        lstm = nn.LSTM(embeddingSize + nz, hiddenSize, numLayers: 1, batchFirst: true);
        readout = nn.Linear(hiddenSize, vocabularySize);
        dropout = nn.Dropout(dropoutRate);
        RegisterComponents();
    }

    /// <summary>V.</summary>
    public int VocabularySize { get; }

    /// <summary>Latent size nz.</summary>
    public int Nz { get; }

    /// <summary>E.</summary>
    public int EmbeddingSize { get; }

    /// <summary>H.</summary>
    public int HiddenSize { get; }

    /// <summary>Dropout probability.</summary>
    public double DropoutRate { get; }

    /// <summary>Logits of every next word under teacher forcing.</summary>
    /// <param name="z">Latents <c>[B, nz]</c>.</param>
    /// <param name="inputs">Input word ids <c>[B, T]</c> (int64), starting with <c>&lt;s&gt;</c>.</param>
    /// <returns>Logits <c>[B, T, V]</c>.</returns>
    public override Tensor forward(Tensor z, Tensor inputs)
    {
        using var scope = NewDisposeScope();
        long batch = inputs.shape[0], steps = inputs.shape[1];
        var h0 = initial.forward(z).unsqueeze(0);                                  // [1, B, H]
        var c0 = zeros_like(h0);
        var words = dropout.forward(embedding.forward(inputs));                    // [B, T, E]
        var x = cat([words, z.unsqueeze(1).expand(batch, steps, Nz)], 2);          // [B, T, E + nz]
        var (h, _, _) = lstm.forward(x, (h0, c0));                                 // [B, T, H]
        return readout.forward(dropout.forward(h)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// log p_theta(x|z) of each sentence: the sum over its words and <c>&lt;/s&gt;</c> of log softmax(logits) at the
    /// target (PAPER.md: a categorical likelihood), padding excluded.
    /// </summary>
    /// <param name="z">Latents <c>[B, nz]</c>.</param>
    /// <param name="tokens">Sentences <c>[B, T + 1]</c> (int64): <c>&lt;s&gt; w1 ... wn &lt;/s&gt;</c>, then <c>&lt;pad&gt;</c> (<see cref="SentenceBatch"/>).</param>
    /// <returns>Log-likelihoods <c>[B]</c> in nats, ≤ 0.</returns>
    public Tensor LogLikelihood(Tensor z, Tensor tokens)
    {
        using var scope = NewDisposeScope();
        long steps = tokens.shape[1] - 1;
        var inputs = tokens.narrow(1, 0, steps);
        var targets = tokens.narrow(1, 1, steps);
        var logProbabilities = nn.functional.log_softmax(forward(z, inputs), 2);
        var picked = logProbabilities.gather(2, targets.unsqueeze(2)).squeeze(2);  // [B, T]
        var mask = targets.ne(Vocabulary.PadId).to_type(picked.dtype);
        return (picked * mask).sum(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Decodes sentences from latents, one word at a time from <c>&lt;s&gt;</c> until <c>&lt;/s&gt;</c> or
    /// <paramref name="maxWords"/> words (evaluation mode; PAPER.md, "Text model"). Each step chooses among every word but
    /// <c>&lt;pad&gt;</c> and <c>&lt;s&gt;</c>: the most probable (greedy, lowest id on ties) when <paramref name="rng"/> is null,
    /// else a draw from softmax(logits / <paramref name="temperature"/>).
    /// </summary>
    /// <param name="z">Latents <c>[B, nz]</c>.</param>
    /// <param name="maxWords">Most words per sentence (≥ 1); a sentence that reaches it ends there.</param>
    /// <param name="rng">Null for greedy decoding; the generator of the draws for sampling.</param>
    /// <param name="temperature">Softmax temperature for sampling, &gt; 0.</param>
    /// <returns>Word ids of each sentence, without <c>&lt;s&gt;</c> and <c>&lt;/s&gt;</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxWords"/> below 1 or a temperature that is not positive.</exception>
    public int[][] Decode(Tensor z, int maxWords, torch.Generator? rng = null, double temperature = 1.0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWords, 1);
        if (!(temperature > 0) || !double.IsFinite(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "the temperature must be positive");
        bool wasTraining = training;
        eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            long batch = z.shape[0];
            var h = initial.forward(z).unsqueeze(0);
            var c = zeros_like(h);
            var previous = full([batch, 1], Vocabulary.StartId, int64, z.device);
            var banned = zeros(VocabularySize, z.dtype, z.device);
            banned[Vocabulary.PadId] = float.NegativeInfinity;
            banned[Vocabulary.StartId] = float.NegativeInfinity;
            var zStep = z.unsqueeze(1);
            var words = new List<int>[batch];
            var done = new bool[batch];
            for (int b = 0; b < batch; b++) words[b] = [];
            for (int t = 0; t < maxWords && !done.All(d => d); t++)
            {
                var x = cat([embedding.forward(previous), zStep], 2);
                var (output, hNext, cNext) = lstm.forward(x, (h, c));
                (h, c) = (hNext, cNext);
                var logits = readout.forward(output.squeeze(1)) + banned;
                var next = rng is null
                    ? logits.argmax(1)
                    : multinomial(nn.functional.softmax(logits / temperature, 1), 1, generator: rng).squeeze(1);
                long[] ids = next.data<long>().ToArray();
                for (int b = 0; b < batch; b++)
                {
                    if (done[b]) continue;
                    if (ids[b] == Vocabulary.EndId) done[b] = true;
                    else words[b].Add((int)ids[b]);
                }
                previous = next.unsqueeze(1);
            }
            return [.. words.Select(w => w.ToArray())];
        }
        finally
        {
            train(wasTraining);
        }
    }
}
