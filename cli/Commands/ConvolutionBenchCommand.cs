using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LatentEbm.Data.IO;
using LatentEbm.Training.Benchmarks;
using LatentEbm.Training.Runtime;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary>
/// <c>latent-ebm bench convolutions</c>: what the oneDNN cap costs. oneDNN reads its setting once per
/// process, so the tool runs itself twice, capped (LatentEbm's setting) and uncapped, and compares.
/// </summary>
internal static class ConvolutionBenchCommand
{
    public static Command Create()
    {
        var batch = new Option<int>("--batch") { Description = "B", DefaultValueFactory = _ => 32 };
        var ngf = new Option<int>("--ngf") { Description = "Generator width (channels 4 ngf, 2 ngf, ngf, 3)", DefaultValueFactory = _ => 64 };
        var threads = new Option<int>("--threads") { Description = "Torch threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var repeats = new Option<int>("--repeats") { Description = "Timed passes per setting", DefaultValueFactory = _ => 10 };
        var report = new Option<string?>("--report") { Description = "Also write the table as a Markdown section of this file" };
        var child = new Option<bool>("--child") { Description = "Measure in this process and print JSON (used by the command itself)", Hidden = true };
        var command = new Command("convolutions", "Time a ConvTranspose generator's forward and backward pass (32x32, nz 100) with oneDNN capped at SSE4.1 (LatentEbm's setting) and uncapped, each in its own process, with the self-check's worst error under each.")
        {
            batch, ngf, threads, repeats, report, child,
        };
        command.SetAction(parse =>
        {
            int b = parse.GetValue(batch), w = parse.GetValue(ngf), t = parse.GetValue(threads), n = parse.GetValue(repeats);
            if (b < 1 || w < 1 || t < 1 || n < 1) { Console.Error.WriteLine("error: --batch, --ngf, --threads and --repeats must be at least 1"); return 1; }
            if (parse.GetValue(child))
            {
                Console.WriteLine(JsonSerializer.Serialize(ConvolutionBenchmark.Run(b, 100, w, t, n)));
                return 0;
            }
            var capped = Child(TorchRuntime.IsaCap, b, w, t, n);
            var uncapped = Child("ALL", b, w, t, n);
            string F(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);
            var md = new StringBuilder()
                .AppendLine($"## oneDNN cap: ConvTranspose generator nz 100 → 4·{w} → 2·{w} → {w} → 3 at 32x32, B={b}, forward and backward, {t} threads")
                .AppendLine()
                .AppendLine($"Command: `./latent-ebm bench convolutions --batch {b} --ngf {w} --threads {t} --repeats {n}`; {Environment.ProcessorCount}-core machine ({CpuFeatures.Describe()}), {DateTime.UtcNow:yyyy-MM-dd}. Each setting in its own process; the self-check's worst relative error against float64 under each setting beside it (bound {ConvolutionSelfCheck.Bound:E0}).")
                .AppendLine()
                .AppendLine("| setting | median ms | time vs capped | self-check worst error |")
                .AppendLine("|---|---|---|---|");
            var table = new Table().AddColumns("setting", "median ms", "time vs capped", "self-check worst error");
            foreach (var r in new[] { capped, uncapped })
            {
                string[] cells = [r.Setting, F(r.MedianSeconds * 1e3, "F1"), F(r.MedianSeconds / capped.MedianSeconds, "F2") + "x", F(r.WorstSelfCheckError, "E1")];
                table.AddRow(cells);
                md.AppendLine($"| {string.Join(" | ", cells)} |");
            }
            AnsiConsole.Write(table);
            if (parse.GetValue(report) is string path)
            {
                MarkdownSections.Replace(path, "convolutions", md.ToString());
                AnsiConsole.MarkupLineInterpolated($"Written to {path}");
            }
            return 0;
        });
        return command;
    }

    /// <summary>Runs this tool with <c>--child</c> under ONEDNN_MAX_CPU_ISA=<paramref name="isa"/> and reads its measurement.</summary>
    private static ConvolutionTiming Child(string isa, int batch, int ngf, int threads, int repeats)
    {
        string host = Environment.ProcessPath!;
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(ConvolutionBenchCommand).Assembly.Location);
        foreach (var a in new[] { "bench", "convolutions", "--child", "--batch", $"{batch}", "--ngf", $"{ngf}", "--threads", $"{threads}", "--repeats", $"{repeats}" })
            start.ArgumentList.Add(a);
        start.Environment[TorchRuntime.IsaVariable] = isa;
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode == 0 ? JsonSerializer.Deserialize<ConvolutionTiming>(output.Trim().Split('\n')[^1]) : null)
            ?? throw new InvalidOperationException($"the measuring process under {TorchRuntime.IsaVariable}={isa} failed (exit {process.ExitCode})");
    }
}
