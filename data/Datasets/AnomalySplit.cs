namespace LatentEbm.Data.Datasets;

/// <summary>
/// The anomaly-detection protocol of PAPER.md (section "Anomaly detection on MNIST"), for any
/// labelled source: one class (a digit for MNIST) is held out as the anomaly class; the images of the
/// other classes are shuffled with a fixed seed; the first 80% train the model; the test set is the
/// other 20% plus every image of the held-out class. Label 1 = anomaly = the positive class.
/// </summary>
public sealed class AnomalySplit
{
    private AnomalySplit(int holdoutClass, int[] train, int[] test, byte[] testLabels)
    {
        HoldoutClass = holdoutClass;
        TrainIndices = train;
        TestIndices = test;
        TestAnomalyLabels = testLabels;
    }

    /// <summary>The class index (the digit for MNIST) treated as the anomaly class.</summary>
    public int HoldoutClass { get; }

    /// <summary>Indices (into the full set) of the training images: normal digits only.</summary>
    public IReadOnlyList<int> TrainIndices { get; }

    /// <summary>Indices of the test images: held-back normal images, then every anomaly.</summary>
    public IReadOnlyList<int> TestIndices { get; }

    /// <summary>Per test image: 1 = anomaly (the held-out digit), 0 = normal.</summary>
    public IReadOnlyList<byte> TestAnomalyLabels { get; }

    /// <summary>Share of anomalies in the test set (the AUPRC of a random score).</summary>
    public double Prevalence => TestAnomalyLabels.Count(l => l == 1) / (double)TestAnomalyLabels.Count;

    /// <summary>Builds the split over <paramref name="all"/> (all 70,000 MNIST images).</summary>
    /// <param name="all">Every labelled image of the dataset.</param>
    /// <param name="holdoutClass">Anomaly class index, 0..classes - 1 (the digit for MNIST).</param>
    /// <param name="splitSeed">Seed of the shuffle of the normal images (System.Random, Fisher-Yates).</param>
    /// <param name="trainFraction">Share of normal images used for training, in (0, 1); 0.8 in the protocol.</param>
    /// <exception cref="ArgumentOutOfRangeException">Digit or fraction out of range.</exception>
    /// <exception cref="ArgumentException">The held-out digit has no images, or no normal image is left.</exception>
    public static AnomalySplit Create(LabeledImages all, int holdoutClass, int splitSeed, double trainFraction = 0.8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(holdoutClass, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(holdoutClass, all.ClassNames.Count - 1);
        if (!(trainFraction > 0 && trainFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(trainFraction), trainFraction, "must lie strictly between 0 and 1");

        var normal = new List<int>();
        var anomalies = new List<int>();
        for (int i = 0; i < all.Count; i++)
            (all.Labels[i] == holdoutClass ? anomalies : normal).Add(i);
        if (anomalies.Count == 0)
            throw new ArgumentException($"no image of the held-out class {holdoutClass} ({all.ClassNames[holdoutClass]})");
        if (normal.Count < 2)
            throw new ArgumentException("fewer than two normal images");

        int[] shuffled = [.. normal];
        Shuffle(shuffled, new Random(splitSeed));
        int trainCount = (int)(trainFraction * shuffled.Length);
        int[] train = shuffled[..trainCount];
        int[] test = [.. shuffled[trainCount..], .. anomalies];
        var labels = new byte[test.Length];
        for (int i = shuffled.Length - trainCount; i < labels.Length; i++) labels[i] = 1;
        return new AnomalySplit(holdoutClass, train, test, labels);
    }

    /// <summary>Fisher-Yates shuffle in place.</summary>
    public static void Shuffle(int[] values, Random random)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
