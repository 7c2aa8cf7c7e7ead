namespace LatentEbm.Cli.Tests;

public class SelfCheckCommandTests
{
    private const string Off = "setting: oneDNN off for convolutions (libtorch's own kernels)";

    private static (int Exit, string Output) SelfCheck(params (string Name, string Value)[] environment) =>
        CliRunner.RunWith(environment.Append((Name: "ONEDNN_VERBOSE", Value: "1")).ToDictionary(e => e.Name, e => e.Value), "self-check");

    [Fact]
    public void TheOffPolicyKeepsEveryConvolutionOutOfOneDnn()
    {
        // oneDNN's own verbose log lists every primitive it runs: none under "off", convolutions under "on".
        var (exit, output) = SelfCheck(("LATENT_EBM_ONEDNN", "off"));
        Assert.True(exit == 0, output);
        Assert.Contains(Off, output);
        Assert.DoesNotContain(",convolution,", output);
        Assert.Contains("self-check passed", output);

        var (_, on) = SelfCheck(("LATENT_EBM_ONEDNN", "on"));
        Assert.Contains("setting: oneDNN on, ONEDNN_MAX_CPU_ISA unset (no cap)", on);
        Assert.Contains("onednn_verbose,v1,primitive,exec,cpu,convolution,", on);
    }

    [Fact]
    public void TheCapSetInProcessReachesOneDnn()
    {
        // oneDNN's verbose log names the instruction set it runs with: the cap the tool set in-process with setenv.
        var (exit, output) = SelfCheck(("LATENT_EBM_ONEDNN", "sse41"));
        Assert.True(exit == 0, output);
        Assert.Contains("onednn_verbose,v1,info,cpu,isa:Intel SSE4.1", output);
        Assert.Contains("onednn_verbose,v1,primitive,exec,cpu,convolution,", output);
        Assert.Contains("setting: ONEDNN_MAX_CPU_ISA=SSE41", output);
        Assert.Contains("self-check passed", output);
    }

    [Fact]
    public void ByDefaultAvx512CpusRunLibtorchsOwnKernelsAndTheCheckPasses()
    {
        var (exit, output) = SelfCheck();
        Assert.True(exit == 0, output);
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            Assert.Contains(Off, output);
            Assert.DoesNotContain(",convolution,", output);
        }
        else
        {
            Assert.Contains("setting: oneDNN on, ONEDNN_MAX_CPU_ISA unset (no cap)", output);
            Assert.DoesNotContain("isa:Intel SSE4.1", output);
        }
    }

    [Fact]
    public void AUsersOwnCapIsKeptAndReachesOneDnn()
    {
        // Only the setting is asserted: whether AVX kernels are right depends on the CPU (the check says so).
        var (_, output) = SelfCheck(("ONEDNN_MAX_CPU_ISA", "AVX"), ("LATENT_EBM_ONEDNN", "off"));
        Assert.Contains("onednn_verbose,v1,info,cpu,isa:Intel AVX", output);
        Assert.DoesNotContain("isa:Intel SSE4.1", output);
        Assert.Contains("setting: ONEDNN_MAX_CPU_ISA=AVX", output);
    }

    [Fact]
    public void AnUnknownPolicyIsOneErrorLine()
    {
        var (exit, output) = SelfCheck(("LATENT_EBM_ONEDNN", "sometimes"));
        Assert.Equal(1, exit);
        Assert.Contains("error: LATENT_EBM_ONEDNN must be auto, off, sse41 or on, got 'sometimes'", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public void TheRetiredCapVariableIsRefusedNamingItsReplacement()
    {
        var (exit, output) = SelfCheck(("LATENT_EBM_ONEDNN_CAP", "never"));
        Assert.Equal(1, exit);
        Assert.Contains("error: LATENT_EBM_ONEDNN_CAP (here 'never') was replaced by LATENT_EBM_ONEDNN=auto|off|sse41|on; unset it", output);
        Assert.DoesNotContain("   at ", output);
    }
}
