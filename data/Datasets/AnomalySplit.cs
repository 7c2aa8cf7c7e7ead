namespace LatentEbm.Data.Datasets;

/// <summary>
/// The MNIST anomaly-detection protocol of PAPER.md (section "Anomaly detection on MNIST"):
/// one digit is held out as the anomaly class; the images of the other digits are shuffled with a
/// fixed seed; the first 80% train the model; the test set is the other 20% plus every image of the
/// held-out digit. Label 1 = anomaly = the positive class.
/// </summary>
public sealed class AnomalySplit
{
    private AnomalySplit(int holdoutDigit, int[] train, int[] test, byte[] testLabels)
    {
        HoldoutDigit = holdoutDigit;
        TrainIndices = train;
        TestIndices = test;
        TestAnomalyLabels = testLabels;
    }

    /// <summary>The digit treated as the anomaly class.</summary>
    public int HoldoutDigit { get; }

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
    /// <param name="holdoutDigit">Anomaly class, 0..9.</param>
    /// <param name="splitSeed">Seed of the shuffle of the normal images (System.Random, Fisher-Yates).</param>
    /// <param name="trainFraction">Share of normal images used for training, in (0, 1); 0.8 in the protocol.</param>
    /// <exception cref="ArgumentOutOfRangeException">Digit or fraction out of range.</exception>
    /// <exception cref="ArgumentException">The held-out digit has no images, or no normal image is left.</exception>
    public static AnomalySplit Create(LabeledImages all, int holdoutDigit, int splitSeed, double trainFraction = 0.8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(holdoutDigit, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(holdoutDigit, 9);
        if (!(trainFraction > 0 && trainFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(trainFraction), trainFraction, "must lie strictly between 0 and 1");

        var normal = new List<int>();
        var anomalies = new List<int>();
        for (int i = 0; i < all.Count; i++)
            (all.Labels[i] == holdoutDigit ? anomalies : normal).Add(i);
        if (anomalies.Count == 0)
            throw new ArgumentException($"no image of the held-out digit {holdoutDigit}");
        if (normal.Count < 2)
            throw new ArgumentException("fewer than two normal images");

        int[] shuffled = [.. normal];
        Shuffle(shuffled, new Random(splitSeed));
        int trainCount = (int)(trainFraction * shuffled.Length);
        int[] train = shuffled[..trainCount];
        int[] test = [.. shuffled[trainCount..], .. anomalies];
        var labels = new byte[test.Length];
        for (int i = shuffled.Length - trainCount; i < labels.Length; i++) labels[i] = 1;
        return new AnomalySplit(holdoutDigit, train, test, labels);
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
