using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Runtime;
using LatentEbm.Inference.Sampling;
using Microsoft.Extensions.Logging;

namespace LatentEbm.Inference.Text;

/// <summary>One sentence sampled from the model.</summary>
/// <param name="Text">The words joined by single spaces.</param>
/// <param name="Words">The words (no &lt;s&gt;, &lt;/s&gt; or &lt;pad&gt;), at most the bundle's max words (as the training side's <c>TextDecoder.Decode</c>).</param>
/// <param name="TokenIds">The decoded ids, <c>[L]</c> with L = max words + 1: the words, then &lt;/s&gt; (3) and &lt;pad&gt; (0) when the sentence ended.</param>
/// <param name="Latent">Its latent z <c>[nz]</c>, the prior chain's end.</param>
/// <param name="Ended">Whether decoding emitted &lt;/s&gt; within L steps (false: cut at the limit).</param>
public sealed record TextSample(string Text, string[] Words, long[] TokenIds, float[] Latent, bool Ended);

/// <summary>
/// Runs a text bundle on ONNX Runtime (PAPER.md, "Text model"): sentences sampled from the latent EBM prior, posterior
/// latents of given sentences and their anomaly scores. Every draw is made on the host from the call's seed with
/// Philox (<see cref="GaussianStream"/>, <see cref="UniformStream"/>), row j of a call using stream
/// <c>firstStream + j</c>, so each row's answer depends on (seed, stream, sentence) alone, never on the batch it ran in
/// (up to float32 rounding). Sentences of different lengths are padded with &lt;pad&gt;, which the graphs neither read
/// nor score. Thread-safe: the sessions are shared, every call's buffers are its own. No TorchSharp.
/// </summary>
public sealed class TextLatentEbmInference : IDisposable
{
    /// <summary>The most sentences one call takes.</summary>
    public const int MaxBatch = 4096;

    /// <summary>The highest sampling temperature.</summary>
    public const double MaxTemperature = 100;

    private readonly TextBundle bundle;

    private TextLatentEbmInference(TextBundle bundle, ProviderChoice provider)
    {
        this.bundle = bundle;
        Provider = provider;
    }

    /// <summary>Opens the text bundle in <paramref name="folder"/> on the requested execution provider.</summary>
    /// <exception cref="BundleException">The bundle is damaged, missing a file or an image bundle; the message names the file.</exception>
    /// <exception cref="ExecutionProviderException"><c>cuda</c> was requested and cannot run.</exception>
    public static TextLatentEbmInference Open(string folder, ExecutionOptions? options = null, ILogger? logger = null)
    {
        var (create, choice) = SessionOptionsFactory.For(options ?? new ExecutionOptions(), logger);
        return new TextLatentEbmInference(TextBundle.Open(folder, create), choice);
    }

    /// <summary>The bundle's manifest.</summary>
    public TextBundleManifest Manifest => bundle.Manifest;

    /// <summary>The execution provider running the graphs, and why.</summary>
    public ProviderChoice Provider { get; }

    /// <summary>The tokenizer over the bundle's vocabulary.</summary>
    public TextVocabulary Vocabulary => bundle.Vocabulary;

    /// <summary>Latent size nz.</summary>
    public int Nz => Manifest.Model.Nz;

    /// <summary>Most words per sentence (input and output).</summary>
    public int MaxWords => Manifest.Observation.MaxWords;

    /// <summary>Tokenizes sentences as <see cref="InferLatents"/> and <see cref="Score"/> read them.</summary>
    /// <exception cref="TextInputException">A sentence is empty, longer than <see cref="MaxWords"/> words or holds a reserved token; its index named.</exception>
    /// <exception cref="ArgumentOutOfRangeException">No sentence, or more than <see cref="MaxBatch"/>.</exception>
    public TokenizedSentence[] Tokenize(IReadOnlyList<string> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        CheckCount(sentences.Count, "sentences");
        return [.. sentences.Select((s, i) => Vocabulary.Tokenize(s, i))];
    }

    /// <summary>
    /// Samples <paramref name="count"/> sentences: z0 ~ N(0, sigma0² I), the bundle's K0-step prior Langevin chain (step size s0),
    /// then decoding of at most <see cref="MaxWords"/> words: greedy at <paramref name="temperature"/> 0, else sampled from
    /// softmax(logits / temperature) by inverse CDF of per-step uniforms. Row j draws z0 and the chain's noise from
    /// stream <paramref name="firstStream"/> + j of <see cref="NoiseDomain.PriorChain"/> and its uniforms from the same
    /// stream of <see cref="NoiseDomain.TextDecoding"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">count not in 1..<see cref="MaxBatch"/>, temperature not in [0, <see cref="MaxTemperature"/>], or a negative first stream.</exception>
    public IReadOnlyList<TextSample> Sample(int count, int seed, double temperature = 0, long firstStream = 0)
    {
        CheckCount(count, nameof(count));
        if (!(temperature >= 0 && temperature <= MaxTemperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, $"the temperature must lie in [0, {MaxTemperature}] (0 = greedy decoding)");
        CheckStream(firstStream);
        int k = Manifest.Model.PriorSteps;
        var z0 = new float[count * Nz];
        var noise = new float[k * count * Nz];
        for (int row = 0; row < count; row++)
        {
            var stream = new GaussianStream(seed, (ulong)(firstStream + row), NoiseDomain.PriorChain);
            stream.Fill(z0.AsSpan(row * Nz, Nz), Manifest.Model.Sigma0);
            for (int step = 0; step < k; step++) stream.Fill(noise.AsSpan((step * count + row) * Nz, Nz));
        }
        float[] z = z0; // K0 = 0: the chain is its start
        if (k > 0)
        {
            z = bundle.Run(TextBundleRoles.PriorLangevin,
                [GraphInput.Float32("z", z0, count, Nz), GraphInput.Float32("noise", noise, k, count, Nz), GraphInput.Float32("step_size", new[] { (float)Manifest.Model.PriorStepSize })],
                "z_out")["z_out"].Floats;
        }

        int length = MaxWords + 1;
        long[] tokens;
        var zIn = GraphInput.Float32("z", z, count, Nz);
        if (temperature == 0)
        {
            tokens = bundle.Run(TextBundleRoles.GreedyDecode, [zIn], "tokens")["tokens"].Longs;
        }
        else
        {
            var uniform = new float[count * length];
            for (int row = 0; row < count; row++)
                new UniformStream(seed, (ulong)(firstStream + row), NoiseDomain.TextDecoding).Fill(uniform.AsSpan(row * length, length));
            tokens = bundle.Run(TextBundleRoles.SampleDecode,
                [zIn, GraphInput.Float32("uniform", uniform, count, length), GraphInput.Float32("temperature", new[] { (float)temperature })], "tokens")["tokens"].Longs;
        }
        var samples = new TextSample[count];
        for (int row = 0; row < count; row++)
        {
            long[] ids = tokens.AsSpan(row * length, length).ToArray();
            string[] words = [.. Vocabulary.Words(ids.Select(id => (int)id)).Take(MaxWords)]; // L = MaxWords + 1 steps leave room for </s>
            samples[row] = new TextSample(string.Join(' ', words), words, ids, z.AsSpan(row * Nz, Nz).ToArray(), ids.Contains(TextVocabulary.EndId));
        }
        return samples;
    }

    /// <summary>
    /// Posterior latents <c>[n, nz]</c> (row-major) of <paramref name="sentences"/>: z0 ~ N(0, sigma0² I), then the bundle's
    /// K-step posterior Langevin chain with the run's step sizes and noise (as in training). Sentence j draws z0 and the
    /// chain's noise from stream <paramref name="firstStream"/> + j of <see cref="NoiseDomain.PosteriorChain"/>.
    /// </summary>
    /// <exception cref="TextInputException">A sentence is empty, too long or holds a reserved token (index, length and limit named).</exception>
    /// <exception cref="ArgumentOutOfRangeException">No sentence, more than <see cref="MaxBatch"/>, or a negative first stream.</exception>
    public float[] InferLatents(IReadOnlyList<string> sentences, int seed, long firstStream = 0) =>
        Posterior(Tokenize(sentences), seed, firstStream).Z;

    /// <summary>
    /// Anomaly scores <c>[n]</c> of <paramref name="sentences"/>, higher = more anomalous: the negative log joint
    /// -(log p(x|z) + f(z) - |z|² / (2 sigma0²)) in nats (up to the constant log Z) at each sentence's posterior latent
    /// (<see cref="InferLatents"/> with the same seed and streams).
    /// </summary>
    /// <exception cref="TextInputException">A sentence is empty, too long or holds a reserved token.</exception>
    /// <exception cref="ArgumentOutOfRangeException">No sentence, more than <see cref="MaxBatch"/>, or a negative first stream.</exception>
    public float[] Score(IReadOnlyList<string> sentences, int seed, long firstStream = 0) => ScoreWithLatents(sentences, seed, firstStream).Scores;

    /// <summary>
    /// <see cref="Score"/> and the posterior latents it was measured at (<see cref="InferLatents"/> of the same seed and
    /// streams) from one chain run: scores <c>[n]</c>, latents <c>[n, nz]</c> row-major.
    /// </summary>
    /// <exception cref="TextInputException">A sentence is empty, too long or holds a reserved token.</exception>
    /// <exception cref="ArgumentOutOfRangeException">No sentence, more than <see cref="MaxBatch"/>, or a negative first stream.</exception>
    public (float[] Scores, float[] Latents) ScoreWithLatents(IReadOnlyList<string> sentences, int seed, long firstStream = 0)
    {
        var (z, tokens, width) = Posterior(Tokenize(sentences), seed, firstStream);
        int n = sentences.Count;
        var scores = bundle.Run(TextBundleRoles.AnomalyScore, [GraphInput.Int64("tokens", tokens, n, width), GraphInput.Float32("z", z, n, Nz)], "score")["score"].Floats;
        return (scores, z);
    }

    private (float[] Z, long[] Tokens, int Width) Posterior(TokenizedSentence[] sentences, int seed, long firstStream)
    {
        CheckStream(firstStream);
        int n = sentences.Length, k = Manifest.Model.PosteriorSteps;
        var (tokens, width) = TextVocabulary.Rows([.. sentences.Select(s => s.Ids)]);
        var z0 = new float[n * Nz];
        var noise = new float[k * n * Nz];
        for (int row = 0; row < n; row++)
        {
            var stream = new GaussianStream(seed, (ulong)(firstStream + row), NoiseDomain.PosteriorChain);
            stream.Fill(z0.AsSpan(row * Nz, Nz), Manifest.Model.Sigma0);
            for (int step = 0; step < k; step++) stream.Fill(noise.AsSpan((step * n + row) * Nz, Nz));
        }
        var z = bundle.Run(TextBundleRoles.PosteriorLangevin,
            [GraphInput.Float32("z", z0, n, Nz), GraphInput.Int64("tokens", tokens, n, width), GraphInput.Float32("noise", noise, k, n, Nz)], "z_out")["z_out"].Floats;
        return (z, tokens, width);
    }

    private static void CheckCount(int count, string name)
    {
        if (count is < 1 or > MaxBatch) throw new ArgumentOutOfRangeException(name, count, $"{name} must be 1..{MaxBatch}");
    }

    private static void CheckStream(long firstStream)
    {
        if (firstStream < 0) throw new ArgumentOutOfRangeException(nameof(firstStream), firstStream, "the first stream must be 0 or more");
    }

    /// <inheritdoc />
    public void Dispose() => bundle.Dispose();
}
