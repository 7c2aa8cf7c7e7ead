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
/// <c>latent-ebm bench convolutions</c>: what each libtorch convolution setting costs and whether it is right on this
/// CPU. oneDNN reads its setting once per process, so the tool runs itself once per setting and compares.
/// </summary>
internal static class ConvolutionBenchCommand
{
    /// <summary>The settings measured: LatentEbm's policies and two oneDNN caps between them.</summary>
    private static readonly (string Variable, string Value)[] Settings =
    [
        (TorchRuntime.PolicyVariable, "off"), (TorchRuntime.PolicyVariable, "sse41"), (TorchRuntime.IsaVariable, "AVX"),
        (TorchRuntime.IsaVariable, "AVX2"), (TorchRuntime.PolicyVariable, "on"),
    ];

    public static Command Create()
    {
        var batch = new Option<int>("--batch") { Description = "B", DefaultValueFactory = _ => 32 };
        var ngf = new Option<int>("--ngf") { Description = "Generator width (channels 4 ngf, 2 ngf, ngf, 3)", DefaultValueFactory = _ => 64 };
        var threads = new Option<int>("--threads") { Description = "Torch threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var repeats = new Option<int>("--repeats") { Description = "Timed passes per setting", DefaultValueFactory = _ => 10 };
        var report = new Option<string?>("--report") { Description = "Also write the table as a Markdown section of this file" };
        var child = new Option<bool>("--child") { Description = "Measure in this process and print JSON (used by the command itself)", Hidden = true };
        var command = new Command("convolutions", $"Time a ConvTranspose generator's forward and backward pass (32x32, nz 100) under each libtorch convolution setting ({TorchRuntime.PolicyVariable}=off, sse41, on; oneDNN capped at AVX and AVX2), each in its own process, with the self-check's worst error under each.")
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
            string chosen = CpuFeatures.HasAvx512 ? "off" : "on"; // the auto policy's choice (TorchRuntime)
            var timings = Settings.Select(s => (s.Variable, s.Value, Timing: Child(s.Variable, s.Value, b, w, t, n))).ToList();
            double reference = timings.Single(r => r.Variable == TorchRuntime.PolicyVariable && r.Value == chosen).Timing.MedianSeconds;
            string F(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);
            var md = new StringBuilder()
                .AppendLine($"## libtorch convolution settings: ConvTranspose generator nz 100 → 4·{w} → 2·{w} → {w} → 3 at 32x32, B={b}, forward and backward, {t} threads")
                .AppendLine()
                .AppendLine($"Command: `./latent-ebm bench convolutions --batch {b} --ngf {w} --threads {t} --repeats {n}`; {Environment.ProcessorCount}-core machine ({CpuFeatures.Describe()}), {DateTime.UtcNow:yyyy-MM-dd}. Each setting in its own process; the self-check's worst relative error against float64 under each beside it (bound {ConvolutionSelfCheck.Bound:E0}); LatentEbm's default on this CPU ({TorchRuntime.PolicyVariable}=auto) is `{TorchRuntime.PolicyVariable}={chosen}`.")
                .AppendLine()
                .AppendLine("| environment | setting in force | median ms | time vs default | self-check worst error | right |")
                .AppendLine("|---|---|---|---|---|---|");
            var table = new Table().AddColumns("environment", "setting in force", "median ms", "time vs default", "self-check worst error", "right");
            foreach (var (variable, value, r) in timings)
            {
                string[] cells = [$"{variable}={value}", r.Setting, F(r.MedianSeconds * 1e3, "F1"), F(r.MedianSeconds / reference, "F2") + "x",
                    F(r.WorstSelfCheckError, "E1"), r.WorstSelfCheckError <= ConvolutionSelfCheck.Bound ? "yes" : "no"];
                table.AddRow(cells.Select(Markup.Escape).ToArray());
                md.AppendLine($"| {string.Join(" | ", cells)}{(cells[^1] == "no" ? " (**wrong**)" : "")} |");
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

    /// <summary>Runs this tool with <c>--child</c> under <paramref name="variable"/>=<paramref name="value"/> alone and reads its measurement.</summary>
    private static ConvolutionTiming Child(string variable, string value, int batch, int ngf, int threads, int repeats)
    {
        string host = Environment.ProcessPath!;
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(ConvolutionBenchCommand).Assembly.Location);
        foreach (var a in new[] { "bench", "convolutions", "--child", "--batch", $"{batch}", "--ngf", $"{ngf}", "--threads", $"{threads}", "--repeats", $"{repeats}" })
            start.ArgumentList.Add(a);
        start.Environment.Remove(TorchRuntime.IsaVariable); // this process's own setting must not leak into the child's
        start.Environment.Remove(TorchRuntime.PolicyVariable);
        start.Environment[variable] = value;
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode == 0 ? JsonSerializer.Deserialize<ConvolutionTiming>(output.Trim().Split('\n')[^1]) : null)
            ?? throw new InvalidOperationException($"the measuring process under {variable}={value} failed (exit {process.ExitCode})");
    }
}
