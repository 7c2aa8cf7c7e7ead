using LatentEbm.Training.Evaluation;

namespace LatentEbm.Training.Tests;

/// <summary>The validation fit's log joint and log Z estimator against scipy (values computed with scipy 1.10 and written below).</summary>
public class ValidationFitTests
{
    [Fact]
    public void TheLogJointIsTheSumOfGaussianLogDensitiesPlusFMinusLogZ()
    {
        // scipy: norm.logpdf(x, g, 0.3).sum() + 0.5 - 0.2 + norm.logpdf(z, 0, 1.5).sum()
        float[] x = [0.1f, -0.2f, 0.7f], g = [0f, 0.05f, 0.5f], z = [1f, -0.5f];
        double value = ValidationFit.ImageLogJoint(x, g, f: 0.5, z, logZ: 0.2, sigma: 0.3, sigma0: 1.5);
        Assert.Equal(-2.396482247039662, value, 5); // float32 inputs: 1e-5
        // The check can fail: with sigma0 = 1 instead of 1.5 the value moves well beyond the tolerance.
        Assert.NotEqual(-2.396482247039662, ValidationFit.ImageLogJoint(x, g, 0.5, z, 0.2, sigma: 0.3, sigma0: 1.0), 2);
    }

    [Fact]
    public void LogMeanExpMatchesScipyLogsumexpAndItsStandardError()
    {
        // scipy: logsumexp(f) - log(4); w = exp(f): w.std(ddof=1) / sqrt(4) / w.mean()
        var (value, error) = ValidationFit.LogMeanExp([0.0, Math.Log(3.0), -2.0, 5.0]);
        Assert.Equal(3.6411881803501185, value, 12);
        Assert.Equal(0.9639838882905647, error, 12);
        // Large f does not overflow: the shift by the maximum keeps it exact.
        Assert.Equal(1000 + Math.Log(2.0 / 3.0 + Math.Exp(-1) / 3.0), ValidationFit.LogMeanExp([1000.0, 1000.0, 999.0]).Value, 9);
        // f = 0 everywhere (a Gaussian prior): log Z = 0 exactly, with no spread.
        Assert.Equal((0.0, 0.0), ValidationFit.LogMeanExp([0.0, 0.0, 0.0]));
    }
}
