using System.CommandLine;
using System.Globalization;
using System.Text;
using LatentEbm.Data.IO;
using LatentEbm.Training.Benchmarks;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary><c>latent-ebm bench langevin</c>: times the prior chain in TorchSharp eager and ONNX Runtime (Loop and unrolled).</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var steps = new Option<int>("--steps") { Description = "K", DefaultValueFactory = _ => 60 };
        var batch = new Option<int>("--batch") { Description = "B", DefaultValueFactory = _ => 100 };
        var nz = new Option<int>("--nz") { Description = "Latent size", DefaultValueFactory = _ => 100 };
        var threads = new Option<int>("--threads") { Description = "Threads for both runtimes", DefaultValueFactory = _ => Environment.ProcessorCount };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs per method", DefaultValueFactory = _ => 20 };
        var report = new Option<string?>("--report") { Description = "Also write the table as Markdown to this file" };
        var langevin = new Command("langevin", "Time one prior Langevin chain (MLP nz-200-200-1): TorchSharp eager vs ONNX Runtime Loop vs unrolled, same weights, start, noise and threads.")
        {
            steps, batch, nz, threads, repeats, report,
        };
        langevin.SetAction(parse =>
        {
            int k = parse.GetValue(steps), b = parse.GetValue(batch), n = parse.GetValue(nz), t = parse.GetValue(threads);
            var timings = LangevinBenchmark.Run(k, b, n, 200, t, parse.GetValue(repeats));
            double eager = timings[0].MedianSeconds;
            var table = new Table().AddColumns("method", "median ms", "speed-up vs eager", "GFLOP/s", "max rel. diff of z_K");
            table.Title = new TableTitle($"Prior chain K={k}, B={b}, nz={n}, MLP {n}-200-200-1, {t} threads");
            var md = new StringBuilder()
                .AppendLine($"## Prior Langevin chain: K={k}, B={b}, nz={n}, MLP {n}-200-200-1, {t} threads")
                .AppendLine()
                .AppendLine($"Command: `./latent-ebm bench langevin --steps {k} --batch {b} --nz {n} --threads {t}`; {Environment.ProcessorCount}-core machine, {DateTime.UtcNow:yyyy-MM-dd}. FLOP counted as 2 per multiply-add of the linear layers' forward pass and input VJP ({LangevinBenchmark.ChainFlops(k, b, n, 200) / 1e9:F2} GFLOP per chain).")
                .AppendLine()
                .AppendLine("| method | median ms | speed-up vs eager | GFLOP/s | max rel. diff of z_K |")
                .AppendLine("|---|---|---|---|---|");
            foreach (var r in timings)
            {
                string[] cells = [r.Method, (r.MedianSeconds * 1e3).ToString("F1", CultureInfo.InvariantCulture), (eager / r.MedianSeconds).ToString("F2", CultureInfo.InvariantCulture) + "x",
                    r.GflopPerSecond.ToString("F1", CultureInfo.InvariantCulture), r.MaxRelativeDifference.ToString("E1", CultureInfo.InvariantCulture)];
                table.AddRow(cells);
                md.AppendLine($"| {string.Join(" | ", cells)} |");
            }
            AnsiConsole.Write(table);
            if (parse.GetValue(report) is string path)
            {
                AtomicFile.WriteAllText(path, md.ToString());
                AnsiConsole.MarkupLineInterpolated($"Written to {path}");
            }
            return 0;
        });
        var bench = new Command("bench", "Benchmarks (speed targets live here, never in unit tests).") { langevin };
        return bench;
    }
}
