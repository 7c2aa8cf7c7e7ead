using System.CommandLine;
using LatentEbm.Inference.Bundles;
using LatentEbm.Onnx;
using LatentEbm.Training.Checkpoints;
using LatentEbm.Training.Export;
using LatentEbm.Training.Runs;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary><c>latent-ebm text export</c>: writes a verified text bundle from a text run's checkpoint.</summary>
internal static class TextExportCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "Text run folder to export", Required = true };
        var output = new Option<string>("--out") { Description = "Bundle folder to write (replaced only when the new bundle verifies)", Required = true };
        var checkpoint = new Option<int?>("--checkpoint") { Description = "Epoch of the checkpoint to export (default: the newest)" };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads of the verification", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("export", "Export the text model (prior, its gradient and chain, log-likelihood and its gradient, posterior chain, greedy and sampled decoding, anomaly score) as ONNX with its vocabulary, verified against TorchSharp.")
        {
            run, output, checkpoint, threads,
        };
        command.SetAction(parse =>
        {
            try
            {
                if (parse.GetValue(threads) < 1) throw new IOException($"--threads must be at least 1, got {parse.GetValue(threads)}");
                TorchSharp.torch.set_num_threads(parse.GetValue(threads));
                var result = TextBundleExporter.Export(parse.GetValue(run)!, parse.GetValue(output)!, parse.GetValue(checkpoint));
                var table = new Table().AddColumns("graph", "quantity", "batch", "relative error", "limit", "TorchSharp float32 vs float64");
                foreach (var c in result.Checks.GroupBy(c => (c.Graph, c.Quantity)).Select(g => g.MaxBy(c => c.RelativeError)!))
                    table.AddRow(c.Graph, c.Quantity, c.Batch.ToString(), c.RelativeError.ToString("E2"), c.Tolerance.ToString("E1"), c.TorchFloat32Error?.ToString("E2") ?? "");
                table.Title = new TableTitle("Parity with TorchSharp (worst batch per quantity)");
                AnsiConsole.Write(table);
                var m = result.Manifest;
                AnsiConsole.MarkupLineInterpolated($"Text bundle written and verified: {result.Folder} ({result.Bytes / 1e6:F1} MB, {m.Files.Length} graphs, V {m.Model.VocabularySize}, at most {m.Observation.MaxWords} words, epoch {m.Training.Epochs})");
                return 0;
            }
            catch (Exception e) when (e is RunFolderException or CheckpointException or OnnxExportException or BundleVerificationException or BundleException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
