using System.CommandLine;
using LatentEbm.Cli.Commands;
using LatentEbm.Training.Runtime;
using Spectre.Console;

// Piped or redirected output has no terminal width: Spectre.Console would assume 80 columns and break
// paths and graph names across lines. A width no line of the tool approaches keeps every line whole
// (tables and markup take only the width their content needs).
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 100_000;

// Before libtorch's first convolution: the oneDNN policy (see TorchRuntime; types that run convolutions apply the rest).
try
{
    TorchRuntime.PrepareEnvironment();
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

var root = new RootCommand("latent-ebm: latent-space energy-based prior models (Pang et al., NeurIPS 2020) — train, export, evaluate, serve, benchmark.");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(ClassifierCommand.Create());
root.Subcommands.Add(ReportCommand.Create());
root.Subcommands.Add(SelfCheckCommand.Create());
root.Subcommands.Add(TextCommand.Create());
// Ctrl-C / SIGTERM cancel the running action's token: training stops between iterations, serve
// finishes the requests in flight. Past 60 s the process is ended regardless.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) });
