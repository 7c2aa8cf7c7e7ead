using System.CommandLine;
using LatentEbm.Training.Runtime;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary><c>latent-ebm self-check</c>: the CPU, the oneDNN setting and the float32-against-float64 convolution check that gates training.</summary>
internal static class SelfCheckCommand
{
    public static Command Create()
    {
        var command = new Command("self-check", "Check that libtorch's float32 convolutions agree with float64 on this CPU (the check every training run makes before it starts); prints the CPU's SIMD features, the oneDNN setting and each measured error. Exit code 1 when the check fails.");
        command.SetAction(_ =>
        {
            AnsiConsole.MarkupLineInterpolated($"CPU: {CpuFeatures.Describe()}");
            AnsiConsole.MarkupLineInterpolated($"setting: {TorchRuntime.DescribeSetting()}");
            var errors = ConvolutionSelfCheck.Measure();
            foreach (var e in errors)
                AnsiConsole.MarkupLineInterpolated($"{(e.RelativeError <= ConvolutionSelfCheck.Bound ? "ok  " : "FAIL")} {e.Quantity}: relative error {e.RelativeError:E2}");
            try
            {
                ConvolutionSelfCheck.ThrowIfWrong(errors);
                AnsiConsole.MarkupLineInterpolated($"self-check passed: every quantity within {ConvolutionSelfCheck.Bound:E0} of float64");
                return 0;
            }
            catch (ConvolutionSelfCheckException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
