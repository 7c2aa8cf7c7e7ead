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
}
