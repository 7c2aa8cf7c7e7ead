namespace LatentEbm.Cli.Tests;

public class SelfCheckCommandTests
{
    private static (int Exit, string Output) SelfCheck(params (string Name, string Value)[] environment) =>
        CliRunner.RunWith(environment.Append((Name: "ONEDNN_VERBOSE", Value: "1")).ToDictionary(e => e.Name, e => e.Value), "self-check");

    [Fact]
    public void TheCapSetInProcessReachesOneDnn()
    {
        // oneDNN's own verbose log names the instruction set it runs with: the cap the tool set in-process with setenv.
        var (exit, output) = SelfCheck(("LATENT_EBM_ONEDNN_CAP", "always"));
        Assert.True(exit == 0, output);
        Assert.Contains("onednn_verbose,v1,info,cpu,isa:Intel SSE4.1", output);
        Assert.Contains("setting: ONEDNN_MAX_CPU_ISA=SSE41", output);
        Assert.Contains("self-check passed", output);
    }

    [Fact]
    public void ByDefaultOnlyAvx512CpusAreCappedAndTheCheckPasses()
    {
        var (exit, output) = SelfCheck();
        Assert.True(exit == 0, output);
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            Assert.Contains("onednn_verbose,v1,info,cpu,isa:Intel SSE4.1", output);
            Assert.Contains("setting: ONEDNN_MAX_CPU_ISA=SSE41", output);
        }
        else
        {
            Assert.DoesNotContain("isa:Intel SSE4.1", output);
            Assert.Contains("setting: ONEDNN_MAX_CPU_ISA unset (no cap)", output);
        }
    }

    [Fact]
    public void AUsersOwnSettingIsKeptAndReachesOneDnn()
    {
        // Only the setting is asserted: whether AVX kernels are right depends on the CPU (the check says so).
        var (_, output) = SelfCheck(("ONEDNN_MAX_CPU_ISA", "AVX"), ("LATENT_EBM_ONEDNN_CAP", "always"));
        Assert.Contains("onednn_verbose,v1,info,cpu,isa:Intel AVX", output);
        Assert.DoesNotContain("isa:Intel SSE4.1", output);
        Assert.Contains("setting: ONEDNN_MAX_CPU_ISA=AVX", output);
    }

    [Fact]
    public void AnUnknownCapPolicyIsOneErrorLine()
    {
        var (exit, output) = SelfCheck(("LATENT_EBM_ONEDNN_CAP", "sometimes"));
        Assert.Equal(1, exit);
        Assert.Contains("error: LATENT_EBM_ONEDNN_CAP must be auto, always or never, got 'sometimes'", output);
        Assert.DoesNotContain("   at ", output);
    }
}
