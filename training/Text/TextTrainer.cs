using LatentEbm.Data.Text;
using LatentEbm.Data.Sources;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Model;
using LatentEbm.Training.Sampling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LatentEbm.Training.Text;

/// <summary>What one learning iteration measured, per sentence of the minibatch.</summary>
/// <param name="LogLikelihood">Mean log p_theta(x|z) at the posterior chain's end before this iteration's updates, in nats per sentence (decoder in evaluation mode).</param>
/// <param name="NegativeLogLikelihoodPerWord">The same, negated, per scored token (words and <c>&lt;/s&gt;</c>).</param>
/// <param name="PosteriorF">Mean f_alpha at the posterior samples.</param>
/// <param name="PriorF">Mean f_alpha at the prior samples.</param>
public sealed record TextIterationMetrics(double LogLikelihood, double NegativeLogLikelihoodPerWord, double PosteriorF, double PriorF);

/// <summary>An epoch's means of <see cref="TextIterationMetrics"/> and its wall time.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Iterations">Iterations in the epoch.</param>
/// <param name="LogLikelihood">Mean log p_theta(x|z_posterior), nats per sentence.</param>
/// <param name="NegativeLogLikelihoodPerWord">Mean of the per-iteration per-token NLL, nats.</param>
/// <param name="PosteriorF">Mean f at the posterior samples.</param>
/// <param name="PriorF">Mean f at the prior samples.</param>
/// <param name="Seconds">Wall time of the epoch.</param>
public sealed record TextEpochMetrics(int Epoch, int Iterations, double LogLikelihood, double NegativeLogLikelihoodPerWord, double PosteriorF, double PriorF, double Seconds)
{
    /// <summary>Per-token NLL at posterior samples of held-out validation sentences after the epoch (NaN when not measured).</summary>
    public double ValidationNllPerWord { get; init; } = double.NaN;

    /// <summary>The header of <c>metrics.csv</c>.</summary>
    public const string CsvHeader = "epoch,iterations,log_likelihood,nll_per_word,posterior_f,prior_f,validation_nll_per_word,seconds";

    /// <summary>This epoch as a <c>metrics.csv</c> row (invariant culture).</summary>
    public string ToCsvRow() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Epoch},{Iterations},{LogLikelihood:R},{NegativeLogLikelihoodPerWord:R},{PosteriorF:R},{PriorF:R},{ValidationNllPerWord:R},{Seconds:F1}");
}

/// <summary>
/// Short-run MCMC maximum-likelihood learning of the text latent EBM (PAPER.md, "Learning" and "Text model"): for each
/// minibatch of sentences, a prior chain (K0 steps of s0) and a posterior chain (K1 steps, step sizes decreasing linearly)
/// from z ~ N(0, sigma0² I); then the decoder update on the mean negative log-likelihood of the sentences at the
/// posterior samples (teacher forcing, dropout on, gradient norm clipped) and the prior update on
/// mean f(z_prior) - mean f(z_post), each with Adam (beta1 0.5, beta2 0.999, as for images). The Gaussian-prior
/// baseline keeps f = 0 and skips the prior update. All randomness comes from the seed. The posterior chain runs on the
/// chosen <see cref="ChainEngine"/>: TorchSharp autograd per step, or one ONNX Runtime graph over the live parameters
/// (<see cref="OnnxRuntimeTextChains"/>; the same chain and noise up to float32 rounding); the prior chain always runs in
/// TorchSharp (an MLP: cheap beside the decoder).
/// </summary>
public sealed class TextTrainer : IDisposable
{
    private readonly OnnxRuntimeTextChains? onnxChains;
    private readonly IReadOnlyList<int[]> sentences;
    private readonly GaussianNoise noise;
    private readonly double[] posteriorStepSizes;
    private int[] order = [];
    private int cursor;

    /// <summary>Builds the networks and optimisers for <paramref name="settings"/> over a corpus.</summary>
    /// <param name="settings">Validated settings.</param>
    /// <param name="vocabularySize">V, the specials included.</param>
    /// <param name="training">Training sentences (word ids); at least one batch.</param>
    /// <param name="chainEngine">What runs the posterior chain (ONNX Runtime uses torch's thread count).</param>
    /// <exception cref="ArgumentException">A bad setting or engine, or fewer sentences than one batch.</exception>
    public TextTrainer(TextTrainingSettings settings, int vocabularySize, IReadOnlyList<int[]> training, ChainEngine chainEngine = ChainEngine.Torch)
    {
        if (!Enum.IsDefined(chainEngine)) throw new ArgumentException($"chain_engine must be one of {string.Join(", ", SettingNames.All<ChainEngine>())}, got {chainEngine}");
        settings.Validate();
        if (training.Count < settings.BatchSize)
            throw new ArgumentException($"{training.Count} training sentences are fewer than one batch of {settings.BatchSize}");
        Settings = settings;
        sentences = training;
        torch.manual_seed(settings.Seed);
        var decoder = new TextDecoder(vocabularySize, settings.Nz, settings.EmbeddingSize, settings.HiddenSize, settings.Dropout);
        var prior = new PriorEnergyMlp([settings.Nz, .. settings.PriorHidden, 1], "leaky_relu");
        if (settings.GaussianPrior)
            using (no_grad())
            {
                prior.Linears[^1].weight!.zero_(); // f = 0 exactly, and never updated
                prior.Linears[^1].bias!.zero_();
            }
        Model = new TextLatentEbm(prior, decoder, settings.Sigma0);
        DecoderOptimizer = optim.Adam(decoder.parameters(), settings.DecoderLearningRate, 0.5, 0.999);
        PriorOptimizer = settings.GaussianPrior ? null : optim.Adam(prior.parameters(), settings.PriorLearningRate, 0.5, 0.999);
        Rng = new torch.Generator((ulong)settings.Seed);
        noise = new GaussianNoise(Rng);
        posteriorStepSizes = settings.PosteriorStepSizes();
        ChainEngine = chainEngine;
        if (chainEngine == ChainEngine.OnnxRuntime) onnxChains = new OnnxRuntimeTextChains(Model, torch.get_num_threads());
    }

    /// <summary>What runs the posterior chain.</summary>
    public ChainEngine ChainEngine { get; }

    /// <summary>The settings.</summary>
    public TextTrainingSettings Settings { get; }

    /// <summary>The model being learned.</summary>
    public TextLatentEbm Model { get; }

    /// <summary>The generator of minibatch order and chain noise.</summary>
    public torch.Generator Rng { get; }

    /// <summary>The decoder's Adam optimiser (checkpointed with the run).</summary>
    public Adam DecoderOptimizer { get; }

    /// <summary>The prior's Adam optimiser; null for the Gaussian-prior baseline.</summary>
    public Adam? PriorOptimizer { get; }

    /// <summary>Iterations done.</summary>
    public long Iterations { get; private set; }

    /// <summary>Whole passes over the training sentences done (set on resume).</summary>
    public int EpochsCompleted { get; set; }

    /// <summary>Minibatches per epoch: the whole batches of one pass (an incomplete last batch is dropped).</summary>
    public int IterationsPerEpoch => sentences.Count / Settings.BatchSize;

    /// <summary>
    /// One pass over the training sentences in a fresh random order, then <see cref="EpochsCompleted"/> + 1.
    /// </summary>
    /// <param name="onIteration">Called after every iteration with its metrics.</param>
    /// <param name="cancellation">Checked between iterations; a cancelled epoch leaves <see cref="EpochsCompleted"/> unchanged.</param>
    /// <returns>The epoch's means over its iterations, and its wall time.</returns>
    /// <exception cref="InvalidOperationException">Training diverged.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public TextEpochMetrics RunEpoch(Action<TextIterationMetrics>? onIteration = null, CancellationToken cancellation = default)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        // Dropout masks come from libtorch's global generator: seeding it per epoch makes a resumed run draw the same masks.
        torch.manual_seed(Settings.Seed + 7919L * (EpochsCompleted + 1));
        order = [.. randperm(sentences.Count, generator: Rng).data<long>().Select(i => (int)i)];
        cursor = 0;
        var all = new List<TextIterationMetrics>(IterationsPerEpoch);
        for (int i = 0; i < IterationsPerEpoch; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var m = Step();
            all.Add(m);
            onIteration?.Invoke(m);
        }
        EpochsCompleted++;
        return new TextEpochMetrics(EpochsCompleted, all.Count, all.Average(m => m.LogLikelihood), all.Average(m => m.NegativeLogLikelihoodPerWord),
            all.Average(m => m.PosteriorF), all.Average(m => m.PriorF), started.Elapsed.TotalSeconds);
    }

    /// <summary>The next minibatch's sentences: the current order's next whole batch; a fresh order when it is used up.</summary>
    private IReadOnlyList<int[]> NextBatch()
    {
        int b = Settings.BatchSize;
        if (cursor + b > order.Length)
        {
            order = [.. randperm(sentences.Count, generator: Rng).data<long>().Select(i => (int)i)];
            cursor = 0;
        }
        var batch = order.Skip(cursor).Take(b).Select(i => sentences[i]).ToArray();
        cursor += b;
        return batch;
    }

    /// <summary>Runs one learning iteration on the next minibatch.</summary>
    /// <exception cref="InvalidOperationException">A loss or f is not finite (training diverged).</exception>
    public TextIterationMetrics Step()
    {
        using var scope = NewDisposeScope();
        var tokens = SentenceBatch.Tokens(NextBatch());
        long batch = tokens.shape[0];
        var priorStart = randn([batch, Model.Nz], generator: Rng) * Model.Sigma0;
        var zPrior = LangevinSampler.Run(priorStart, Settings.PriorSteps, Settings.PriorStepSize, noise, Model.GradLogPrior);
        var posteriorStart = randn([batch, Model.Nz], generator: Rng) * Model.Sigma0;
        // The ONNX Runtime chain takes all K draws at once: [K, B, nz] in one call equals K draws of [B, nz] when B·nz is a
        // multiple of 16 (torch fills normals in blocks of 16), otherwise it is another draw of the same law.
        var zPost = onnxChains is null
            ? LangevinSampler.Run(posteriorStart, posteriorStepSizes, noise, z => Model.GradLogPosterior(z, tokens))
            : onnxChains.PosteriorChain(tokens, posteriorStart, randn([posteriorStepSizes.Length, batch, Model.Nz], generator: Rng), posteriorStepSizes);

        double logLikelihood;
        using (no_grad()) logLikelihood = Model.Decoder.LogLikelihood(zPost, tokens).mean().ToDouble(); // evaluation mode, before the update

        Model.Decoder.train();
        DecoderOptimizer.zero_grad();
        var loss = -Model.Decoder.LogLikelihood(zPost, tokens).mean();
        loss.backward();
        nn.utils.clip_grad_norm_(Model.Decoder.parameters(), Settings.GradientClipNorm);
        DecoderOptimizer.step();
        Model.Decoder.eval();

        double fPost, fPrior;
        if (PriorOptimizer is not null)
        {
            PriorOptimizer.zero_grad();
            var fp = Model.Prior.forward(zPost).mean();
            var fq = Model.Prior.forward(zPrior).mean();
            (fq - fp).backward(); // maximum likelihood: raise f at posterior samples, lower it at prior samples
            PriorOptimizer.step();
            (fPost, fPrior) = (fp.ToDouble(), fq.ToDouble());
        }
        else (fPost, fPrior) = (0, 0);

        double scored = tokens.narrow(1, 1, tokens.shape[1] - 1).ne(Vocabulary.PadId).sum().ToDouble() / batch;
        if (!double.IsFinite(logLikelihood) || !double.IsFinite(fPost) || !double.IsFinite(fPrior) || !double.IsFinite(loss.ToDouble()))
            throw new InvalidOperationException($"text training diverged at iteration {Iterations + 1}: log-likelihood {logLikelihood}, f(post) {fPost}, f(prior) {fPrior}");
        Iterations++;
        return new TextIterationMetrics(logLikelihood, -logLikelihood / scored, fPost, fPrior);
    }

    /// <inheritdoc />
    public void Dispose() => onnxChains?.Dispose();
}
