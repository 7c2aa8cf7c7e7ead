namespace LatentEbm.Pipelines.Evaluation;

/// <summary>
/// The mean of a metric over seeds with its two-sided 95% confidence interval, mean ± t(0.975, n − 1) ·
/// s / √n (Student's t, s the sample standard deviation), and the comparison with a published value that
/// PAPER.md asks for: "above" only when the whole interval lies above it.
/// </summary>
/// <param name="Mean">Mean over the seeds.</param>
/// <param name="StandardDeviation">Sample standard deviation (n − 1), 0 for one value.</param>
/// <param name="Lower">Lower end of the 95% interval (NaN for one value).</param>
/// <param name="Upper">Upper end of the 95% interval (NaN for one value).</param>
/// <param name="Count">Number of values (seeds).</param>
public sealed record MeanInterval(double Mean, double StandardDeviation, double Lower, double Upper, int Count)
{
    /// <summary>t(0.975, df) for df = 1..30 (scipy 1.10 stats.t.ppf); beyond 30 the normal 1.96 is within 4%.</summary>
    private static readonly double[] T975 =
    [
        12.706204736432095, 4.302652729911275, 3.182446305284263, 2.7764451051977987, 2.5705818366147395,
        2.4469118487916806, 2.3646242510102993, 2.3060041350333704, 2.2621571627409915, 2.2281388519649385,
        2.200985160082949, 2.1788128296634177, 2.1603686564610127, 2.1447866879169273, 2.131449545559323,
        2.1199052992210112, 2.1098155778331806, 2.10092204024096, 2.093024054408263, 2.0859634472658364,
        2.079613844727662, 2.0738730679040147, 2.0686576104190406, 2.0638985616280205, 2.059538552753294,
        2.055529438642871, 2.0518305164802833, 2.048407141795244, 2.045229642132703, 2.0422724563012373,
    ];

    /// <summary>The mean and 95% interval of <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentException">No values, or a value that is not finite.</exception>
    public static MeanInterval Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("no values to average");
        if (values.Any(v => !double.IsFinite(v))) throw new ArgumentException("a value to average is not finite");
        double mean = values.Average();
        int n = values.Count;
        if (n == 1) return new MeanInterval(mean, 0, double.NaN, double.NaN, 1);
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        double half = (n - 1 <= T975.Length ? T975[n - 2] : 1.959963984540054) * sd / Math.Sqrt(n);
        return new MeanInterval(mean, sd, mean - half, mean + half, n);
    }

    /// <summary>Seeds PAPER.md asks for before a comparison with a published row.</summary>
    public const int MinimumSeeds = 3;

    /// <summary>
    /// "above" when the interval lies above <paramref name="published"/>, "below" when it lies below,
    /// "within" when it holds it; "fewer than 3 seeds" when there are too few values to compare (PAPER.md).
    /// </summary>
    public string Compare(double published) =>
        Count < MinimumSeeds ? $"fewer than {MinimumSeeds} seeds" : Lower > published ? "above" : Upper < published ? "below" : "within";

    /// <summary>"0.650 [0.526, 0.774]", or "0.650 (one seed)".</summary>
    public string Format() => Count < 2
        ? $"{Mean.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)} (one seed)"
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Mean:F3} [{Lower:F3}, {Upper:F3}]");
}
