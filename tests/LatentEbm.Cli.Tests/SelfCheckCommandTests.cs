namespace LatentEbm.Cli.Tests;

public class SelfCheckCommandTests
{
    [Fact]
    public void TheOneDnnCapReachesOneDnnAndTheCheckPasses()
    {
        // oneDNN's own verbose log names the instruction set it runs with: the cap the tool set in-process.
        var (exit, output) = CliRunner.RunWith(new Dictionary<string, string> { ["ONEDNN_VERBOSE"] = "1" }, "self-check");
        Assert.True(exit == 0, output);
        Assert.Contains("onednn_verbose,v1,info,cpu,isa:Intel SSE4.1", output);
        Assert.Contains("setting: ONEDNN_MAX_CPU_ISA=SSE41", output);
        Assert.Contains("self-check passed", output);
    }

    [Fact]
    public void AUsersOwnSettingIsKeptAndReachesOneDnn()
    {
        // Only the setting is asserted: whether AVX kernels are right depends on the CPU (the check says so).
        var (_, output) = CliRunner.RunWith(new Dictionary<string, string> { ["ONEDNN_VERBOSE"] = "1", ["ONEDNN_MAX_CPU_ISA"] = "AVX" }, "self-check");
        Assert.Contains("onednn_verbose,v1,info,cpu,isa:Intel AVX", output);
        Assert.DoesNotContain("isa:Intel SSE4.1", output);
        Assert.Contains("setting: ONEDNN_MAX_CPU_ISA=AVX", output);
    }
}
