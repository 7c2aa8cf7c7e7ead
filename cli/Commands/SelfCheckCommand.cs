using System.CommandLine;
using LatentEbm.Training.Runtime;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary><c>latent-ebm self-check</c>: the CPU, libtorch's convolution setting and the float32-against-float64 convolution check that gates training.</summary>
internal static class SelfCheckCommand
{
    public static Command Create()
    {
        var command = new Command("self-check", "Check that libtorch's float32 convolutions agree with float64 on this CPU (the check every training run makes before it starts); prints the CPU's SIMD features, libtorch's convolution setting (oneDNN on, off or capped) and each measured error. Exit code 1 when the check fails.");
        command.SetAction(_ =>
        {
            AnsiConsole.MarkupLineInterpolated($"CPU: {CpuFeatures.Describe()}");
            try
            {
                AnsiConsole.MarkupLineInterpolated($"setting: {TorchRuntime.Initialize()}");
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
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
