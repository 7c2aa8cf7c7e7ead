namespace LatentEbm.Training.Evaluation;

/// <summary>
/// What a run's prior samples and reconstructions measure (<c>sample_quality.json</c>). Distances are in the feature
/// classifier's space (a proxy, not Inception FID or KID; not comparable with published numbers). The properties
/// after the positional fields came with colour runs (issue 11); files written before them lack those keys.
/// </summary>
/// <param name="Prior">The run's prior: <c>ebm</c> or <c>gaussian</c>.</param>
/// <param name="Samples">Prior samples decoded and compared.</param>
/// <param name="FrechetDistance">Fréchet distance between decoded prior samples and the test images.</param>
/// <param name="DataFrechetDistance">The same distance between as many training images (<see cref="DataImages"/>) and the test images: the floor that sampling noise alone gives.</param>
/// <param name="TestImages">Test images used, never trained on: the normal test images of the protocol when a class is held out (it excluded), else the dataset's test split (all normal).</param>
/// <param name="ReconstructionMse">Mean squared error per pixel value ([-1, 1] scale) of g(z) against x over those test images, z from the run's test-time posterior chain.</param>
/// <param name="Classifier">Architecture of the feature classifier.</param>
/// <param name="ClassifierTestAccuracy">Its test accuracy on its own dataset's test split.</param>
public sealed record SampleQualityReport(string Prior, int Samples, double FrechetDistance, double DataFrechetDistance, int TestImages,
    double ReconstructionMse, string Classifier, double ClassifierTestAccuracy)
{
    /// <summary>File name in the run folder.</summary>
    public const string FileName = "sample_quality.json";

    /// <summary>KID between decoded prior samples and the test images: mean of the unbiased MMD² (cubic kernel) over subsets (<see cref="KernelInceptionDistance"/>).</summary>
    public double? KidMean { get; init; }

    /// <summary>Standard deviation of <see cref="KidMean"/>'s per-subset values (population, divisor = subsets).</summary>
    public double? KidStd { get; init; }

    /// <summary>KID between the training images and the test images: the floor of <see cref="KidMean"/>.</summary>
    public double? DataKidMean { get; init; }

    /// <summary>Standard deviation of <see cref="DataKidMean"/>'s per-subset values.</summary>
    public double? DataKidStd { get; init; }

    /// <summary>KID subsets.</summary>
    public int? KidSubsets { get; init; }

    /// <summary>Rows drawn from each set per KID subset (1,000, or fewer with fewer images).</summary>
    public int? KidSubsetSize { get; init; }

    /// <summary>Training images of the data floor (as many as the test images when no class is held out).</summary>
    public int? DataImages { get; init; }

    /// <summary>The run's dataset (<c>mnist</c>, <c>cifar-10</c>, ...).</summary>
    public string? Dataset { get; init; }

    /// <summary>The run's observation shape <c>[C, H, W]</c>.</summary>
    public int[]? Observation { get; init; }

    /// <summary>The held-out class (a digit or a class name), or null when none is held out.</summary>
    public string? HeldOutClass { get; init; }

    /// <summary>The dataset the feature classifier was trained on.</summary>
    public string? ClassifierDataset { get; init; }
}
