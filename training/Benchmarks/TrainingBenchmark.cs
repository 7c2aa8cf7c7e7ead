using LatentEbm.Data.Datasets;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Model;
using LatentEbm.Training.Training;

namespace LatentEbm.Training.Benchmarks;

/// <summary>One timed way of training.</summary>
/// <param name="Method">How the chains' input gradients were computed.</param>
/// <param name="Metrics">The timed epoch (its averages and where its time went).</param>
public sealed record TrainingTiming(string Method, EpochMetrics Metrics);

/// <summary>
/// Times learning iterations of a configuration (the default MNIST one unless given) with the chains'
/// gradients by autograd (one graph per Langevin step) and by the hand-written input VJPs
/// (<see cref="InputGradientMethod"/>) in float32 and with bfloat16 generator products
/// (<see cref="TrainingConfig.ChainPrecision"/>), in one process, same data, seed and threads. Each method runs
/// a warm-up epoch of 5 iterations, then one timed epoch.
/// </summary>
public static class TrainingBenchmark
{
    /// <summary>Runs the measurement.</summary>
    /// <param name="config">Training settings (batch size, chains, networks).</param>
    /// <param name="train">Training images; the first <paramref name="iterations"/> × batch are used.</param>
    /// <param name="iterations">Timed iterations per method.</param>
    /// <exception cref="ArgumentException">Too few images.</exception>
    public static IReadOnlyList<TrainingTiming> Run(TrainingConfig config, LabeledImages train, int iterations)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        var results = new List<TrainingTiming>();
        (string Name, InputGradientMethod Method, ChainPrecision Precision)[] ways =
        [
            ("autograd per Langevin step, float32", InputGradientMethod.Autograd, ChainPrecision.Float32),
            ("hand-written input VJP, float32", InputGradientMethod.Analytic, ChainPrecision.Float32),
            ("bfloat16 generator products (hand-written VJP) in the posterior chain, autograd prior chain", InputGradientMethod.Autograd, ChainPrecision.Bfloat16),
        ];
        foreach (var (name, method, precision) in ways)
        {
            var settings = config with { ChainPrecision = precision };
            using (var warmUp = new Trainer(settings, Subset(train, 5 * config.BatchSize)))
            {
                warmUp.Model.GradientMethod = method;
                warmUp.RunEpoch();
            }
            using var trainer = new Trainer(settings, Subset(train, iterations * config.BatchSize));
            trainer.Model.GradientMethod = method;
            results.Add(new TrainingTiming(name, trainer.RunEpoch()));
        }
        return results;
    }

    private static LabeledImages Subset(LabeledImages images, int count)
    {
        if (images.Count < count) throw new ArgumentException($"{images.Count} images are fewer than the {count} asked for");
        return images.Select([.. Enumerable.Range(0, count)]);
    }
}
