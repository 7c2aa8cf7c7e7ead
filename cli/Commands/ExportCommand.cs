using System.CommandLine;
using LatentEbm.Inference.Bundles;
using LatentEbm.Onnx;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Training.Checkpoints;
using LatentEbm.Training.Export;
using LatentEbm.Training.Runs;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary><c>latent-ebm export</c>: writes a verified model bundle from a run's newest checkpoint.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "Run folder to export (its newest checkpoint)", Required = true };
        var output = new Option<string>("--out") { Description = "Bundle folder to write (replaced only when the new bundle verifies)", Required = true };
        var chain = new Option<ChainForm>("--chain-form") { Description = "Langevin chains as one Loop node or K unrolled steps", DefaultValueFactory = _ => ChainForm.Loop };
        var weights = new Option<WeightStorage>("--weights")
        {
            Description = "external: one weights.bin shared by the graphs (smallest; the bundle loads as a folder); embedded: each graph self-contained (for ML.NET's ApplyOnnxModel and saved ML.NET models)",
            DefaultValueFactory = _ => WeightStorage.External,
        };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads of the verification", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("export", "Export the prior, its gradient, whole Langevin chains, the decoder and the anomaly score as ONNX, and verify them against TorchSharp at batch sizes 1, 7 and 256.")
        {
            run, output, chain, weights, threads,
        };
        command.SetAction(parse =>
        {
            try
            {
                if (parse.GetValue(threads) < 1) throw new IOException($"--threads must be at least 1, got {parse.GetValue(threads)}");
                TorchSharp.torch.set_num_threads(parse.GetValue(threads));
                var result = BundleExporter.Export(parse.GetValue(run)!, parse.GetValue(output)!, parse.GetValue(chain), [1, 7, 256], parse.GetValue(weights));
                var table = new Table().AddColumns("graph", "quantity", "batch", "relative error", "limit", "TorchSharp float32 vs float64");
                foreach (var c in result.Checks.GroupBy(c => (c.Graph, c.Quantity)).Select(g => g.MaxBy(c => c.RelativeError)!))
                    table.AddRow(c.Graph, c.Quantity, c.Batch.ToString(), c.RelativeError.ToString("E2"), c.Tolerance.ToString("E1"), c.TorchFloat32Error?.ToString("E2") ?? "");
                table.Title = new TableTitle("Parity with TorchSharp (worst batch per quantity)");
                AnsiConsole.Write(table);
                string storage = result.Manifest.Weights is { } shared ? $"weights in {shared.File}" : "weights embedded in each graph";
                AnsiConsole.MarkupLineInterpolated($"Bundle written and verified: {result.Folder} ({result.Bytes / 1e6:F1} MB, {result.Manifest.Files.Length} graphs, {storage})");
                return 0;
            }
            catch (Exception e) when (e is RunFolderException or CheckpointException or OnnxExportException or BundleVerificationException or BundleException or IOException or UnauthorizedAccessException or ArgumentException or LatentEbm.Training.Runtime.ConvolutionSelfCheckException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
