using LatentEbm.Data.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LatentEbm.Training.Text.Evaluation;

/// <summary>
/// The evaluation language model of the text metrics (PAPER.md, "Text model": forward and reverse perplexity; also a
/// text anomaly baseline scoring per-token NLL): word embedding E, a one-layer LSTM with H units from a zero state,
/// a linear read-out over the vocabulary, dropout on the embeddings and on the hidden states before the read-out
/// (training mode only). Teacher forcing on the <see cref="SentenceBatch"/> format: inputs <c>&lt;s&gt; w1 ... wn</c>,
/// targets <c>w1 ... wn &lt;/s&gt;</c>, padding neither read nor scored. Trained by Adam with gradient-norm clipping for a
/// fixed number of epochs (<see cref="LanguageModelSettings"/>).
/// </summary>
public sealed class LstmLanguageModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embedding;
    private readonly LSTM lstm;
    private readonly Linear readout;
    private readonly Dropout dropout;

    /// <summary>
    /// Creates the network with PyTorch's default initialisation, drawn from torch's global generator (seed it first for
    /// reproducible weights; <see cref="Train"/> does).
    /// </summary>
    /// <param name="vocabularySize">V, the specials included (at least 5).</param>
    /// <param name="settings">Sizes E, H and the dropout rate; validated.</param>
    /// <exception cref="ArgumentException">A bad setting.</exception>
    /// <exception cref="ArgumentOutOfRangeException">V is below 5.</exception>
    public LstmLanguageModel(int vocabularySize, LanguageModelSettings settings) : base(nameof(LstmLanguageModel))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 5);
        settings.Validate();
        VocabularySize = vocabularySize;
        Settings = settings;
        embedding = nn.Embedding(vocabularySize, settings.EmbeddingSize);
        lstm = nn.LSTM(settings.EmbeddingSize, settings.HiddenSize, numLayers: 1, batchFirst: true);
        readout = nn.Linear(settings.HiddenSize, vocabularySize);
        dropout = nn.Dropout(settings.Dropout);
        RegisterComponents();
    }

    /// <summary>V.</summary>
    public int VocabularySize { get; }

    /// <summary>The size and training settings.</summary>
    public LanguageModelSettings Settings { get; }

    /// <summary>Sentences of the last <see cref="Train"/> (0 before).</summary>
    public int TrainingSentences { get; private set; }

    /// <summary>Scored tokens of those sentences.</summary>
    public long TrainingTokens { get; private set; }

    /// <summary>Mean per-token training NLL of each epoch, in nats (dropout on, before each step's update).</summary>
    public IReadOnlyList<double> EpochLosses { get; private set; } = [];

    /// <summary>Logits of every next word under teacher forcing.</summary>
    /// <param name="inputs">Word ids <c>[B, T]</c> (int64), starting with <c>&lt;s&gt;</c>.</param>
    /// <returns>Logits <c>[B, T, V]</c>.</returns>
    public override Tensor forward(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        var (h, _, _) = lstm.forward(dropout.forward(embedding.forward(inputs)));  // zero initial state
        return readout.forward(dropout.forward(h)).MoveToOuterDisposeScope();
    }

    /// <summary>log p(x) of each sentence: Σ over its words and <c>&lt;/s&gt;</c> of log softmax(logits) at the target, padding excluded; in the module's current mode.</summary>
    /// <param name="tokens">Sentences <c>[B, T + 1]</c> (int64): <c>&lt;s&gt; w1 ... wn &lt;/s&gt;</c>, then <c>&lt;pad&gt;</c>.</param>
    /// <returns>Log-likelihoods <c>[B]</c> in nats, ≤ 0.</returns>
    public Tensor LogLikelihood(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        long steps = tokens.shape[1] - 1;
        var logProbabilities = nn.functional.log_softmax(forward(tokens.narrow(1, 0, steps)), 2);
        var targets = tokens.narrow(1, 1, steps);
        var picked = logProbabilities.gather(2, targets.unsqueeze(2)).squeeze(2);  // [B, T]
        return (picked * targets.ne(Vocabulary.PadId).to_type(picked.dtype)).sum(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// -log p(x) of each sentence in evaluation mode (no dropout), in nats, with its scored-token count (words and
    /// <c>&lt;/s&gt;</c>), so that per-token NLL and perplexity follow (<see cref="SentenceNll"/>). The module's mode is
    /// restored afterwards. Batches group sentences of similar length; the results are in input order.
    /// </summary>
    /// <param name="sentences">Word ids of each sentence (no <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c> or <c>&lt;pad&gt;</c>); an empty sentence scores <c>&lt;/s&gt;</c> alone.</param>
    /// <param name="batchSize">Sentences per forward pass (memory: B × T × V logits).</param>
    /// <exception cref="ArgumentException">No sentence, or an id that is no word of the vocabulary.</exception>
    public LanguageModelNll NegativeLogLikelihood(IReadOnlyList<int[]> sentences, int batchSize = 128)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ScoredSentences.Check(sentences, VocabularySize, nameof(sentences));
        bool wasTraining = training;
        eval();
        try
        {
            var nll = new double[sentences.Count];
            int[] order = ScoredSentences.ByLength(sentences);
            using var noGrad = no_grad();
            for (int start = 0; start < order.Length; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var indices = order.AsSpan(start, Math.Min(batchSize, order.Length - start));
                var tokens = ScoredSentences.Tokens(sentences, indices).to(Device);
                double[] logLikelihood = LogLikelihood(tokens).to(float64).cpu().data<double>().ToArray();
                for (int b = 0; b < indices.Length; b++) nll[indices[b]] = -logLikelihood[b];
            }
            var result = new SentenceNll(nll, [.. sentences.Select(ScoredSentences.TokenCount)]);
            return new LanguageModelNll(result, Settings, TrainingSentences, TrainingTokens, EpochLosses.Count > 0 ? EpochLosses[^1] : double.NaN);
        }
        finally
        {
            train(wasTraining);
        }
    }

    /// <summary>
    /// Seeds torch's global generator with <see cref="LanguageModelSettings.Seed"/>, builds a model and trains it on
    /// <paramref name="sentences"/>: <see cref="LanguageModelSettings.Epochs"/> passes, each in a fresh random order
    /// (the last batch may be smaller), minimising the mean per-token NLL with Adam and gradient-norm clipping.
    /// Deterministic given the settings and the sentences (one torch thread).
    /// </summary>
    /// <param name="vocabularySize">V, the specials included.</param>
    /// <param name="sentences">Training sentences (word ids); empty ones allowed.</param>
    /// <param name="settings">Validated settings.</param>
    /// <param name="device">Where to train; CPU when null.</param>
    /// <returns>The trained model, in evaluation mode.</returns>
    /// <exception cref="ArgumentException">A bad setting, no sentence, or an id that is no word.</exception>
    /// <exception cref="InvalidOperationException">The loss stopped being finite (training diverged).</exception>
    public static LstmLanguageModel Train(int vocabularySize, IReadOnlyList<int[]> sentences, LanguageModelSettings settings, Device? device = null)
    {
        settings.Validate();
        ScoredSentences.Check(sentences, vocabularySize, nameof(sentences));
        torch.manual_seed(settings.Seed);
        var model = new LstmLanguageModel(vocabularySize, settings);
        if (device is not null) model.to(device);
        model.Fit(sentences);
        return model;
    }

    private Device Device => readout.weight!.device;

    private void Fit(IReadOnlyList<int[]> sentences)
    {
        var optimizer = optim.Adam(parameters(), Settings.LearningRate);
        using var rng = new torch.Generator((ulong)Settings.Seed);
        var losses = new List<double>();
        train();
        for (int epoch = 0; epoch < Settings.Epochs; epoch++)
        {
            int[] order = [.. randperm(sentences.Count, generator: rng).data<long>().Select(i => (int)i)];
            double sum = 0;
            long tokensSeen = 0;
            for (int start = 0; start < order.Length; start += Settings.BatchSize)
            {
                using var scope = NewDisposeScope();
                var tokens = ScoredSentences.Tokens(sentences, order.AsSpan(start, Math.Min(Settings.BatchSize, order.Length - start))).to(Device);
                long count = tokens.narrow(1, 1, tokens.shape[1] - 1).ne(Vocabulary.PadId).sum().ToInt64();
                optimizer.zero_grad();
                var loss = -LogLikelihood(tokens).sum() / count;
                loss.backward();
                nn.utils.clip_grad_norm_(parameters(), Settings.GradientClipNorm);
                optimizer.step();
                double value = loss.ToDouble();
                if (!double.IsFinite(value)) throw new InvalidOperationException($"language model training diverged in epoch {epoch + 1}: loss {value}");
                sum += value * count;
                tokensSeen += count;
            }
            losses.Add(sum / tokensSeen);
        }
        eval();
        EpochLosses = losses;
        TrainingSentences = sentences.Count;
        TrainingTokens = sentences.Sum(s => (long)ScoredSentences.TokenCount(s));
    }
}
