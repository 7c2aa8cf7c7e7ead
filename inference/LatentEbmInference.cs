using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Runtime;
using LatentEbm.Inference.Sampling;
using Microsoft.Extensions.Logging;

namespace LatentEbm.Inference;

/// <summary>Overrides of a posterior chain, within the bundle's limits.</summary>
/// <param name="StepSize">Langevin step size s in (0, 1]; null = the manifest's test-time step size.</param>
/// <param name="Noise">Whether the chain adds Langevin noise; null = the manifest's choice.</param>
/// <param name="Rounds">How many times the bundle's K-step chain runs back to back (1..10): K x rounds steps.</param>
public sealed record ChainSettings(double? StepSize = null, bool? Noise = null, int Rounds = 1);

/// <summary>Prior samples: latents <c>[Count, nz]</c> and, when decoded, images <c>[Count, C, H, W]</c> in [-1, 1].</summary>
public sealed record PriorSample(int Count, float[] Latents, float[]? Images);

/// <summary>
/// Runs a model bundle on ONNX Runtime: prior sampling, posterior inference, decoding,
/// reconstruction and anomaly scoring (PAPER.md, "Model" and "Anomaly detection on MNIST").
/// Chains start from z ~ N(0, sigma0² I); every draw comes from the call's seed on the host, so a
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
    /// Draws <paramref name="count"/> latents from the prior by the bundle's K0-step Langevin chain
    /// (step size s0 unless overridden) and optionally decodes them.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">count or step size out of range (the parameter is named).</exception>
    public PriorSample SamplePrior(int count, int seed, bool decode = true, double? stepSize = null)
    {
        CheckCount(count, nameof(count));
        double s = CheckStepSize(stepSize ?? Manifest.Model.PriorStepSize, nameof(stepSize));
        var rng = new HostGaussian(seed);
        int k = bundle.File(BundleRoles.PriorLangevin).Steps!.Value;
        var z0 = rng.Fill((long)count * Nz, Manifest.Model.Sigma0);
        var noise = rng.Fill((long)k * count * Nz);
        var z = bundle.Run(BundleRoles.PriorLangevin, ("z", z0, [count, Nz]), ("noise", noise, [k, count, Nz]), ("step_size", [(float)s], []))["z_out"].Data;
        return new PriorSample(count, z, decode ? DecodeUnchecked(z, count) : null);
    }

    /// <summary>Posterior latents <c>[count, nz]</c> of images <c>[count, C, H, W]</c> (the generator's scale, [-1, 1]).</summary>
    /// <exception cref="ArgumentException">Wrong length or a non-finite value in <paramref name="images"/>; settings out of range.</exception>
    public float[] InferLatents(float[] images, int count, int seed, ChainSettings? chain = null)
    {
        CheckData(images, count, PixelsPerImage, nameof(images));
        return Posterior(images, count, seed, chain ?? new ChainSettings());
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
        DecodeUnchecked(InferLatents(images, count, seed, chain), count);

    /// <summary>
    /// Anomaly scores <c>[count]</c> (higher = more anomalous) at each image's posterior latent, with the
    /// weights baked into the bundle's <c>anomaly_score</c> graph.
    /// </summary>
    public float[] Score(float[] images, int count, int seed, ChainSettings? chain = null)
    {
        var z = InferLatents(images, count, seed, chain);
        return bundle.Run(BundleRoles.AnomalyScore, ("x", images, [count, .. Manifest.Model.ImageShape]), ("z", z, [count, Nz]))["score"].Data;
    }

    private float[] Posterior(float[] images, int count, int seed, ChainSettings chain)
    {
        double s = CheckStepSize(chain.StepSize ?? Manifest.Score.StepSize, nameof(chain.StepSize));
        if (chain.Rounds is < 1 or > MaxRounds)
            throw new ArgumentOutOfRangeException(nameof(chain.Rounds), chain.Rounds, $"rounds must be 1..{MaxRounds}");
        bool noisy = chain.Noise ?? Manifest.Score.Noise;
        var rng = new HostGaussian(seed);
        int k = bundle.File(BundleRoles.PosteriorLangevin).Steps!.Value;
        var z = rng.Fill((long)count * Nz, Manifest.Model.Sigma0);
        for (int round = 0; round < chain.Rounds; round++)
        {
            var noise = noisy ? rng.Fill((long)k * count * Nz) : new float[(long)k * count * Nz];
            z = bundle.Run(BundleRoles.PosteriorLangevin, ("x", images, [count, .. Manifest.Model.ImageShape]), ("z", z, [count, Nz]),
                ("noise", noise, [k, count, Nz]), ("step_size", [(float)s], []))["z_out"].Data;
        }
        return z;
    }

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
