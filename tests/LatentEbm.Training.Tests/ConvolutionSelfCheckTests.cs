using LatentEbm.Training.Runtime;

namespace LatentEbm.Training.Tests;

/// <summary>The oneDNN setting and the float32-against-float64 convolution check that gates training.</summary>
public class ConvolutionSelfCheckTests
{
    public ConvolutionSelfCheckTests() => TorchTestSetup.Init();

    [Fact]
    public void TheSettingIsInTheNativeEnvironmentAndTheCheckPasses()
    {
        // The setting by policy: libtorch's own kernels on AVX-512 CPUs only, unless the environment says otherwise.
        string? own = Environment.GetEnvironmentVariable(TorchRuntime.IsaVariable);
        string policy = Environment.GetEnvironmentVariable(TorchRuntime.PolicyVariable) ?? "auto";
        if (policy == "auto") policy = System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? "off" : "on";
        string expected = own is not null ? $"ONEDNN_MAX_CPU_ISA={own}" : policy switch
        {
            "off" => "oneDNN off for convolutions (libtorch's own kernels)",
            "sse41" => "ONEDNN_MAX_CPU_ISA=SSE41",
            _ => "oneDNN on, ONEDNN_MAX_CPU_ISA unset (no cap)",
        };
        Assert.Equal(expected, TorchRuntime.Initialize());
        Assert.Equal(expected, TorchRuntime.DescribeSetting());
        var errors = ConvolutionSelfCheck.Measure();
        Assert.Equal(14, errors.Count); // 7 quantities x 2 stacks
        Assert.All(errors, e => Assert.True(e.RelativeError <= ConvolutionSelfCheck.Bound, $"{e.Quantity}: {e.RelativeError:E2}"));
        Assert.All(errors, e => Assert.True(e.RelativeError > 0, $"{e.Quantity}: float32 equal to float64 means no float32 ran"));
        ConvolutionSelfCheck.EnsurePasses();
    }

    [Fact]
    public void AWrongGradientFailsTheCheckNamingTheCpuAndTheSetting()
    {
        var errors = ConvolutionSelfCheck.Measure(corruptFloat32Gradient: g => g * 1.001); // 1e-3 off: ten times the bound
        var error = Assert.Throws<ConvolutionSelfCheckException>(() => ConvolutionSelfCheck.ThrowIfWrong(errors));
        Assert.Equal(["input gradient (generator-sized stack)", "input gradient (small stack)"], error.Errors.Select(e => e.Quantity).Order());
        Assert.All(error.Errors, e => Assert.InRange(e.RelativeError, 5e-4, 2e-3));
        Assert.Contains(TorchRuntime.DescribeSetting(), error.Message);
        Assert.Contains(CpuFeatures.Describe(), error.Message);
        Assert.Contains("training does not start", error.Message);
    }
}
