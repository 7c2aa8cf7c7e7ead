using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Runtime;
using LatentEbm.Inference.Sampling;
using Microsoft.Extensions.Logging;

namespace LatentEbm.Inference;

/// <summary>Where a posterior chain starts (<see cref="ChainSettings.Start"/>).</summary>
public enum PosteriorStartMode
{
    /// <summary>The encoder's mean mu(x) when the bundle has an encoder (<see cref="LatentEbmInference.HasEncoder"/>), else noise.</summary>
    Auto,
    /// <summary>
    /// The encoder's mean mu(x), refined by the bundle's <c>amortised_posterior</c> chain of K = <c>score.encoder_steps</c> steps
    /// (PAPER.md, "Amortised posterior"); only for a bundle with an encoder.
    /// </summary>
    Encoder,
    /// <summary>z0 ~ N(0, sigma0² I), then the bundle's <c>posterior_langevin</c> chain of K = <c>score.steps</c> steps (the paper's chain).</summary>
    Noise,
}

/// <summary>Overrides of a posterior chain, within the bundle's limits.</summary>
/// <param name="StepSize">Langevin step size s in (0, 1]; null = the manifest's test-time step size.</param>
/// <param name="Noise">Whether the chain adds Langevin noise; null = the manifest's choice.</param>
/// <param name="Rounds">
/// How many chain rounds run back to back (1..10). From noise: the bundle's K-step chain <paramref name="Rounds"/> times,
/// K x rounds steps. From the encoder: mu(x) and its K_e refinement steps (<c>amortised_posterior</c>), then the K-step
/// chain rounds - 1 more times, K_e + K x (rounds - 1) steps.
/// </param>
/// <param name="Start">Where the chain starts; <see cref="PosteriorStartMode.Auto"/> (the default) = the encoder's mean when the bundle has one.</param>
public sealed record ChainSettings(double? StepSize = null, bool? Noise = null, int Rounds = 1, PosteriorStartMode Start = PosteriorStartMode.Auto);

/// <summary>
/// One prior-sampling request: <paramref name="Count"/> samples from seed <paramref name="Seed"/>. Sample j
/// draws its start and noise from the stream <paramref name="FirstStream"/> + j of the seed
/// (<see cref="GaussianStream"/>), so it depends on (seed, stream) alone, never on the batch it ran in.
/// </summary>
public sealed record SampleRequest(int Count, int Seed, long FirstStream = 0);

/// <summary>
/// One posterior request: images <c>[Count, C, H, W]</c> and the seed of their chains. Image j draws its
/// chain's start and noise from the stream <paramref name="FirstStream"/> + j of the seed
/// (<see cref="GaussianStream"/>): a dataset passes each row's index, so every row has its own stream
/// and its answer does not depend on batching.
/// </summary>
public sealed record ImageRequest(float[] Images, int Count, int Seed, long FirstStream = 0);

/// <summary>Prior samples: latents <c>[Count, nz]</c> and, when decoded, images <c>[Count, C, H, W]</c> in [-1, 1].</summary>
public sealed record PriorSample(int Count, float[] Latents, float[]? Images);

/// <summary>
/// Runs a model bundle on ONNX Runtime: prior sampling, posterior inference, decoding,
/// reconstruction and anomaly scoring (PAPER.md, "Model" and "Anomaly detection on MNIST").
/// Prior chains start from z ~ N(0, sigma0² I); posterior chains start from the encoder's mean mu(x) when the bundle
/// has an encoder (PAPER.md, "Amortised posterior"; <see cref="ChainSettings.Start"/> may force noise), else from
/// z ~ N(0, sigma0² I). Every draw comes from the call's seed on the host, so a
/// call is reproducible and CPU and CUDA runs of one seed differ only by rounding. Thread-safe: the
/// graph sessions are shared, every call's buffers are its own. No TorchSharp.
/// </summary>
public sealed class LatentEbmInference : IDisposable
{
    /// <summary>The most images or latents one call takes.</summary>
    public const int MaxBatch = 4096;

    /// <summary>The most K-step rounds one posterior call runs.</summary>
    public const int MaxRounds = 10;

    private readonly ModelBundle bundle;

    private LatentEbmInference(ModelBundle bundle, ProviderChoice provider)
    {
        this.bundle = bundle;
        Provider = provider;
    }

    /// <summary>Opens the bundle in <paramref name="folder"/> on the requested execution provider.</summary>
    /// <exception cref="BundleException">The bundle is damaged; the message names the file.</exception>
    /// <exception cref="ExecutionProviderException"><c>cuda</c> was requested and cannot run.</exception>
    public static LatentEbmInference Open(string folder, ExecutionOptions? options = null, ILogger? logger = null)
    {
        var (create, choice) = SessionOptionsFactory.For(options ?? new ExecutionOptions(), logger);
        return new LatentEbmInference(ModelBundle.Open(folder, create), choice);
    }

    /// <summary>The bundle's manifest.</summary>
    public BundleManifest Manifest => bundle.Manifest;

    /// <summary>The execution provider running the graphs, and why.</summary>
    public ProviderChoice Provider { get; }

    /// <summary>Latent dimension nz.</summary>
    public int Nz => Manifest.Model.Nz;

    /// <summary>Values per image, C x H x W.</summary>
    public int PixelsPerImage => Manifest.Model.ImageShape.Aggregate(1, (a, b) => a * b);

    /// <summary>
    /// Whether the bundle has an encoder q(z|x) and its <c>amortised_posterior</c> chain (manifest <c>model.posterior_start</c>
    /// <c>encoder</c>): posterior chains then start at mu(x) unless <see cref="ChainSettings.Start"/> is <see cref="PosteriorStartMode.Noise"/>.
    /// </summary>
    public bool HasEncoder => bundle.Has(BundleRoles.AmortisedPosterior);

    /// <summary>Where a posterior chain of <paramref name="requested"/> starts on this bundle: <see cref="PosteriorStartMode.Encoder"/> or <see cref="PosteriorStartMode.Noise"/>.</summary>
    /// <exception cref="ArgumentException"><see cref="PosteriorStartMode.Encoder"/> on a bundle without an encoder, or an undefined value (parameter <c>Start</c>).</exception>
    public PosteriorStartMode ResolveStart(PosteriorStartMode requested) => requested switch
    {
        PosteriorStartMode.Auto => HasEncoder ? PosteriorStartMode.Encoder : PosteriorStartMode.Noise,
        PosteriorStartMode.Noise => PosteriorStartMode.Noise,
        PosteriorStartMode.Encoder when HasEncoder => PosteriorStartMode.Encoder,
        PosteriorStartMode.Encoder => throw new ArgumentException(
            $"the chain cannot start from the encoder: bundle {Manifest.Name} has no encoder (model.posterior_start is {Manifest.Model.PosteriorStart})", nameof(ChainSettings.Start)),
        _ => throw new ArgumentException($"unknown posterior start {requested}", nameof(ChainSettings.Start)),
    };

    /// <summary>
    /// The encoder's Gaussian q(z|x) = N(mu, diag exp(log_var)) of images <c>[count, C, H, W]</c>: mu and log sigma², each
    /// <c>[count, nz]</c> (PAPER.md, "Amortised posterior"). Deterministic: no seed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The bundle has no encoder (<see cref="HasEncoder"/>).</exception>
    /// <exception cref="ArgumentException">Wrong length or a non-finite value in <paramref name="images"/>.</exception>
    public (float[] Mean, float[] LogVariance) Encode(float[] images, int count)
    {
        if (!HasEncoder) throw new InvalidOperationException($"bundle {Manifest.Name} has no encoder (model.posterior_start is {Manifest.Model.PosteriorStart})");
        CheckData(images, count, PixelsPerImage, nameof(images));
        var outputs = bundle.Run(BundleRoles.Encoder, ("x", images, [count, .. Manifest.Model.ImageShape]));
        return (outputs["mu"].Data, outputs["log_var"].Data);
    }

    /// <summary>
    /// Draws <paramref name="count"/> latents from the prior by the bundle's K0-step Langevin chain
    /// (step size s0 unless overridden) and optionally decodes them.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">count or step size out of range (the parameter is named).</exception>
    public PriorSample SamplePrior(int count, int seed, bool decode = true, double? stepSize = null) =>
        SamplePriorBatch([new SampleRequest(count, seed)], decode, stepSize)[0];

    /// <summary>
    /// Several prior-sampling requests in one graph run (micro-batching): each row's start and noise come
    /// from its own stream of its request's seed, so each result equals that request run alone (up to rounding).
    /// </summary>
    public IReadOnlyList<PriorSample> SamplePriorBatch(IReadOnlyList<SampleRequest> requests, bool decode = true, double? stepSize = null)
    {
        foreach (var r in requests) CheckCount(r.Count, "count");
        int total = CheckTotal(requests.Sum(r => r.Count));
        double s = CheckStepSize(stepSize ?? Manifest.Model.PriorStepSize, nameof(stepSize));
        int k = bundle.File(BundleRoles.PriorLangevin).Steps!.Value;
        var streams = Streams(requests.Select(r => (r.Count, r.Seed, r.FirstStream)), NoiseDomain.PriorChain);
        var z0 = new float[(long)total * Nz];
        var noise = new float[(long)k * total * Nz];
        for (int row = 0; row < total; row++)
        {
            streams[row].Fill(z0.AsSpan(row * Nz, Nz), Manifest.Model.Sigma0);
            for (int step = 0; step < k; step++) streams[row].Fill(noise.AsSpan((step * total + row) * Nz, Nz));
        }
        var z = bundle.Run(BundleRoles.PriorLangevin, ("z", z0, [total, Nz]), ("noise", noise, [k, total, Nz]), ("step_size", [(float)s], []))["z_out"].Data;
        var images = decode ? DecodeUnchecked(z, total) : null;
        return Split(requests.Select(r => r.Count), (start, count) => new PriorSample(count,
            z.AsSpan(start * Nz, count * Nz).ToArray(), images?.AsSpan(start * PixelsPerImage, count * PixelsPerImage).ToArray()));
    }

    /// <summary>Posterior latents <c>[count, nz]</c> of images <c>[count, C, H, W]</c> (the generator's scale, [-1, 1]).</summary>
    /// <exception cref="ArgumentException">Wrong length or a non-finite value in <paramref name="images"/>; settings out of range.</exception>
    public float[] InferLatents(float[] images, int count, int seed, ChainSettings? chain = null) =>
        InferLatentsBatch([new ImageRequest(images, count, seed)], chain)[0];

    /// <summary>Several posterior requests in one chain run (micro-batching); each row's draws come from its own stream of its request's seed.</summary>
    public IReadOnlyList<float[]> InferLatentsBatch(IReadOnlyList<ImageRequest> requests, ChainSettings? chain = null)
    {
        var (x, total) = Concat(requests);
        var z = Posterior(requests, x, total, chain ?? new ChainSettings());
        return Split(requests.Select(r => r.Count), (start, count) => z.AsSpan(start * Nz, count * Nz).ToArray());
    }

    /// <summary>g(z): images <c>[count, C, H, W]</c> of latents <c>[count, nz]</c>.</summary>
    /// <exception cref="ArgumentException">Wrong length or a non-finite value.</exception>
    public float[] Decode(float[] latents, int count)
    {
        CheckData(latents, count, Nz, nameof(latents));
        return DecodeUnchecked(latents, count);
    }

    /// <summary>g(z) at each image's posterior latent.</summary>
    public float[] Reconstruct(float[] images, int count, int seed, ChainSettings? chain = null) =>
        ReconstructBatch([new ImageRequest(images, count, seed)], chain)[0];

    /// <summary>Several reconstruction requests in one run (micro-batching).</summary>
    public IReadOnlyList<float[]> ReconstructBatch(IReadOnlyList<ImageRequest> requests, ChainSettings? chain = null)
    {
        var (x, total) = Concat(requests);
        var images = DecodeUnchecked(Posterior(requests, x, total, chain ?? new ChainSettings()), total);
        return Split(requests.Select(r => r.Count), (start, count) => images.AsSpan(start * PixelsPerImage, count * PixelsPerImage).ToArray());
    }

    /// <summary>
    /// Anomaly scores <c>[count]</c> (higher = more anomalous) at each image's posterior latent, with the
    /// weights baked into the bundle's <c>anomaly_score</c> graph.
    /// </summary>
    public float[] Score(float[] images, int count, int seed, ChainSettings? chain = null) =>
        ScoreBatch([new ImageRequest(images, count, seed)], chain)[0];

    /// <summary>Several scoring requests in one run (micro-batching).</summary>
    public IReadOnlyList<float[]> ScoreBatch(IReadOnlyList<ImageRequest> requests, ChainSettings? chain = null)
    {
        var (x, total) = Concat(requests);
        var z = Posterior(requests, x, total, chain ?? new ChainSettings());
        var scores = bundle.Run(BundleRoles.AnomalyScore, ("x", x, [total, .. Manifest.Model.ImageShape]), ("z", z, [total, Nz]))["score"].Data;
        return Split(requests.Select(r => r.Count), (start, count) => scores.AsSpan(start, count).ToArray());
    }

    private (float[] X, int Total) Concat(IReadOnlyList<ImageRequest> requests)
    {
        foreach (var r in requests) CheckData(r.Images, r.Count, PixelsPerImage, "images");
        int total = CheckTotal(requests.Sum(r => r.Count));
        if (requests.Count == 1) return (requests[0].Images, total);
        var x = new float[(long)total * PixelsPerImage];
        long offset = 0;
        foreach (var r in requests) { r.Images.CopyTo(x, offset); offset += r.Images.Length; }
        return (x, total);
    }

    /// <summary>
    /// The posterior chain over concatenated images. From noise, each row draws z0, then each round's noise, from its own
    /// stream; from the encoder, the first round is the <c>amortised_posterior</c> graph (mu(x), then its K_e steps, whose
    /// noise each row draws first), and every further round the K-step chain from where it ended.
    /// </summary>
    private float[] Posterior(IReadOnlyList<ImageRequest> requests, float[] x, int total, ChainSettings chain)
    {
        double s = CheckStepSize(chain.StepSize ?? Manifest.Score.StepSize, nameof(chain.StepSize));
        if (chain.Rounds is < 1 or > MaxRounds)
            throw new ArgumentOutOfRangeException(nameof(chain.Rounds), chain.Rounds, $"rounds must be 1..{MaxRounds}");
        bool fromEncoder = ResolveStart(chain.Start) == PosteriorStartMode.Encoder;
        bool noisy = chain.Noise ?? Manifest.Score.Noise;
        int[] xDims = [total, .. Manifest.Model.ImageShape];
        var streams = Streams(requests.Select(r => (r.Count, r.Seed, r.FirstStream)), NoiseDomain.PosteriorChain);
        float[] Noise(int steps)
        {
            var noise = new float[(long)steps * total * Nz]; // stays zero for the noiseless chain
            if (noisy)
                for (int row = 0; row < total; row++)
                    for (int step = 0; step < steps; step++) streams[row].Fill(noise.AsSpan((step * total + row) * Nz, Nz));
            return noise;
        }
        float[] z;
        if (fromEncoder)
        {
            int ke = bundle.File(BundleRoles.AmortisedPosterior).Steps!.Value;
            z = bundle.Run(BundleRoles.AmortisedPosterior, ("x", x, xDims), ("noise", Noise(ke), [ke, total, Nz]), ("step_size", [(float)s], []))["z_out"].Data;
        }
        else
        {
            z = new float[(long)total * Nz];
            for (int row = 0; row < total; row++) streams[row].Fill(z.AsSpan(row * Nz, Nz), Manifest.Model.Sigma0);
        }
        int k = bundle.File(BundleRoles.PosteriorLangevin).Steps!.Value;
        for (int round = fromEncoder ? 1 : 0; round < chain.Rounds; round++)
            z = bundle.Run(BundleRoles.PosteriorLangevin, ("x", x, xDims), ("z", z, [total, Nz]),
                ("noise", Noise(k), [k, total, Nz]), ("step_size", [(float)s], []))["z_out"].Data;
        return z;
    }

    /// <summary>One noise stream per row of the batch: request i's row j is stream FirstStream + j of request i's seed.</summary>
    private static GaussianStream[] Streams(IEnumerable<(int Count, int Seed, long FirstStream)> requests, NoiseDomain domain)
    {
        var streams = new List<GaussianStream>();
        foreach (var (count, seed, first) in requests)
        {
            if (first < 0) throw new ArgumentOutOfRangeException(nameof(ImageRequest.FirstStream), first, "the first stream must be 0 or more");
            for (int j = 0; j < count; j++) streams.Add(new GaussianStream(seed, (ulong)(first + j), domain));
        }
        return [.. streams];
    }

    private static IReadOnlyList<T> Split<T>(IEnumerable<int> counts, Func<int, int, T> slice)
    {
        var results = new List<T>();
        int start = 0;
        foreach (int count in counts) { results.Add(slice(start, count)); start += count; }
        return results;
    }

    private static int CheckTotal(int total) =>
        total is >= 1 and <= MaxBatch ? total : throw new ArgumentOutOfRangeException("count", total, $"a batch holds 1..{MaxBatch} rows");

    private float[] DecodeUnchecked(float[] latents, int count) =>
        bundle.Run(BundleRoles.Decoder, ("z", latents, [count, Nz]))["x"].Data;

    private static void CheckCount(int count, string name)
    {
        if (count is < 1 or > MaxBatch) throw new ArgumentOutOfRangeException(name, count, $"{name} must be 1..{MaxBatch}");
    }

    private static double CheckStepSize(double s, string name) =>
        s is > 0 and <= 1 ? s : throw new ArgumentOutOfRangeException(name, s, "Langevin step size must lie in (0, 1]");

    private static void CheckData(float[] data, int count, int rowSize, string name)
    {
        CheckCount(count, "count");
        if (data.Length != (long)count * rowSize)
            throw new ArgumentException($"{name} has {data.Length} values; {count} rows of {rowSize} need {(long)count * rowSize}", name);
        for (int i = 0; i < data.Length; i++)
            if (!float.IsFinite(data[i]))
                throw new ArgumentException($"{name}[{i / rowSize}][{i % rowSize}] is {data[i]}, not finite", name);
    }

    /// <inheritdoc />
    public void Dispose() => bundle.Dispose();
}
