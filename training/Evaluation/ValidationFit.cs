using LatentEbm.Data.Datasets;
using LatentEbm.Inference;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Sampling;

namespace LatentEbm.Training.Evaluation;

/// <summary>
/// How well a bundle explains held-out normal images, through its own posterior inference (the encoder's amortised
/// chain when it has one, else the noise-started chain): the mean squared error per pixel of g(z) against x and the mean
/// normalised log joint log p(x, z) = log N(x; g(z), sigma² I) + f(z) − log Z(alpha) + log N(z; 0, sigma0² I) in nats per
/// image (PAPER.md, "Model"), with log Z(alpha) = log E_{z ~ N(0, sigma0² I)}[exp f(z)] estimated by Monte Carlo (PAPER.md,
/// "Text model": the same estimator). Measured on validation images only: it decides settings, never on test data.
/// </summary>
/// <param name="Bundle">The bundle folder.</param>
/// <param name="PosteriorStart">"encoder" or "noise": where its chains start.</param>
/// <param name="Steps">The posterior chain's length.</param>
/// <param name="Images">Validation images measured.</param>
/// <param name="ReconstructionMse">Mean squared error per pixel on the [-1, 1] scale.</param>
/// <param name="LogJoint">Mean normalised log joint, nats per image.</param>
/// <param name="LogJointStandardError">Standard error of <paramref name="LogJoint"/> over images.</param>
/// <param name="LogPartition">The estimate of log Z(alpha).</param>
/// <param name="LogPartitionStandardError">Its delta-method standard error.</param>
/// <param name="PartitionSamples">Prior samples of the estimate.</param>
public sealed record ValidationFit(string Bundle, string PosteriorStart, int Steps, int Images, double ReconstructionMse, double LogJoint,
    double LogJointStandardError, double LogPartition, double LogPartitionStandardError, int PartitionSamples)
{
    /// <summary>Measures <paramref name="bundle"/> on <paramref name="validation"/>.</summary>
    /// <param name="bundle">The bundle folder.</param>
    /// <param name="validation">Normal validation images of the bundle's observation shape, in [-1, 1].</param>
    /// <param name="seed">Seed of the posterior chains and of the partition estimate's samples.</param>
    /// <param name="partitionSamples">Samples of the log Z estimate (e.g. 100,000).</param>
    /// <exception cref="BundleException">The bundle is damaged.</exception>
    /// <exception cref="ArgumentException">Images of another shape, or fewer than 2.</exception>
    public static ValidationFit Measure(string bundle, LabeledImages validation, int seed, int partitionSamples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitionSamples, 2);
        if (validation.Count < 2) throw new ArgumentException($"{validation.Count} validation images are too few");
        using var model = LatentEbmInference.Open(bundle);
        using var graphs = ModelBundle.Open(bundle);
        var m = model.Manifest.Model;
        if (!m.ImageShape.SequenceEqual([validation.Channels, validation.Height, validation.Width]))
            throw new ArgumentException($"the bundle observes [{string.Join(", ", m.ImageShape)}], the validation images are [{validation.Channels}, {validation.Height}, {validation.Width}]");
        int nz = m.Nz, d = validation.PixelsPerImage;
        double sigma = m.Sigma, sigma0 = m.Sigma0;

        var (logZ, logZError) = EstimateLogPartition(graphs, nz, sigma0, seed, partitionSamples);
        var logJoint = new double[validation.Count];
        double squaredErrorSum = 0;
        const int batch = 1000;
        for (int start = 0; start < validation.Count; start += batch)
        {
            int count = Math.Min(batch, validation.Count - start);
            float[] x = validation.Pixels.AsSpan(start * d, count * d).ToArray();
            float[] z = model.InferLatents(x, count, seed + start);
            float[] g = model.Decode(z, count);
            float[] f = Energies(graphs, z, count, nz);
            for (int i = 0; i < count; i++)
            {
                squaredErrorSum += SquaredError(x.AsSpan(i * d, d), g.AsSpan(i * d, d));
                logJoint[start + i] = ImageLogJoint(x.AsSpan(i * d, d), g.AsSpan(i * d, d), f[i], z.AsSpan(i * nz, nz), logZ, sigma, sigma0);
            }
        }
        double mean = logJoint.Average();
        double sd = Math.Sqrt(logJoint.Sum(v => (v - mean) * (v - mean)) / (logJoint.Length - 1));
        // The chain the bundle's inference runs: the amortised one when the bundle ships it, else the noise-started one.
        var amortisedGraph = model.Manifest.Files.FirstOrDefault(f => f.Role == "amortised_posterior");
        bool amortised = amortisedGraph is not null;
        int steps = amortisedGraph?.Steps ?? model.Manifest.Score.Steps;
        return new ValidationFit(Path.GetFullPath(bundle), amortised ? "encoder" : "noise", steps, validation.Count,
            squaredErrorSum / ((double)validation.Count * d), mean, sd / Math.Sqrt(logJoint.Length), logZ, logZError, partitionSamples);
    }

    /// <summary>log Z(alpha) = log mean exp f(z_i), z_i ~ N(0, sigma0² I), with its delta-method standard error.</summary>
    private static (double LogZ, double StandardError) EstimateLogPartition(ModelBundle graphs, int nz, double sigma0, int seed, int samples)
    {
        var f = new double[samples];
        var stream = new GaussianStream(seed, 0, NoiseDomain.PriorChain);
        const int batch = 4096;
        for (int start = 0; start < samples; start += batch)
        {
            int count = Math.Min(batch, samples - start);
            var z = new float[count * nz];
            stream.Fill(z, sigma0);
            float[] e = Energies(graphs, z, count, nz);
            for (int i = 0; i < count; i++) f[start + i] = e[i];
        }
        return LogMeanExp(f);
    }

    /// <summary>
    /// log mean_i exp(f_i), computed stably (shifted by the maximum), with its delta-method standard error
    /// sd(exp f) / (√n · mean exp f): the Monte Carlo estimate of log Z(alpha) from f at prior-reference samples.
    /// </summary>
    /// <param name="f">Negative energies at z_i ~ N(0, sigma0² I); at least 2.</param>
    public static (double Value, double StandardError) LogMeanExp(IReadOnlyList<double> f)
    {
        if (f.Count < 2) throw new ArgumentException("need at least 2 values");
        double max = f.Max();
        var w = f.Select(v => Math.Exp(v - max)).ToArray();
        double meanW = w.Average();
        double varW = w.Sum(v => (v - meanW) * (v - meanW)) / (w.Length - 1);
        return (max + Math.Log(meanW), Math.Sqrt(varW / w.Length) / meanW);
    }

    /// <summary>
    /// The normalised log joint of one image, nats: log N(x; g, sigma² I) + f − log Z + log N(z; 0, sigma0² I) (PAPER.md, "Model").
    /// </summary>
    /// <param name="x">The image, D values.</param>
    /// <param name="g">g(z), D values.</param>
    /// <param name="f">f_alpha(z).</param>
    /// <param name="z">The latent, nz values.</param>
    /// <param name="logZ">log Z(alpha).</param>
    /// <param name="sigma">Generator noise sigma.</param>
    /// <param name="sigma0">Reference prior sigma0.</param>
    public static double ImageLogJoint(ReadOnlySpan<float> x, ReadOnlySpan<float> g, double f, ReadOnlySpan<float> z, double logZ, double sigma, double sigma0)
    {
        double zz = 0;
        foreach (float v in z) zz += (double)v * v;
        return -0.5 * x.Length * Math.Log(2 * Math.PI * sigma * sigma) - SquaredError(x, g) / (2 * sigma * sigma)
               + f - logZ - 0.5 * z.Length * Math.Log(2 * Math.PI * sigma0 * sigma0) - zz / (2 * sigma0 * sigma0);
    }

    private static double SquaredError(ReadOnlySpan<float> x, ReadOnlySpan<float> g)
    {
        double se = 0;
        for (int j = 0; j < x.Length; j++) { double r = (double)x[j] - g[j]; se += r * r; }
        return se;
    }

    private static float[] Energies(ModelBundle graphs, float[] z, int count, int nz) =>
        graphs.Run(BundleRoles.PriorEnergy, ("z", z, [count, nz]))["f"].Data;
}
