using System.CommandLine;
using LatentEbm.Cli.Commands;

var root = new RootCommand("latent-ebm: latent-space energy-based prior models (Pang et al., NeurIPS 2020) — train, evaluate, export, serve.");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
return root.Parse(args).Invoke();
