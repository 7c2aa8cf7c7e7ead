using System.CommandLine;
using System.Globalization;
using System.Text;
using LatentEbm.Data.IO;
using LatentEbm.Inference.Bundles;
using LatentEbm.Server.Benchmarks;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary>
/// <c>latent-ebm bench serve-memory</c>: issue 14's memory case. The service runs as a child process; 32 clients at once
/// send 15 MB JSON bodies whose last pixel is out of range (each refused after its body is read) and the service's peak
/// resident memory is read from <c>/proc</c> before and after.
/// </summary>
internal static class ServeMemoryBenchCommand
{
    public static Command Create()
    {
        var models = new Option<string>("--models") { Description = "Folder of model bundles", DefaultValueFactory = _ => "models" };
        var model = new Option<string>("--model") { Description = "Image model id to send the bodies to", DefaultValueFactory = _ => "mnist-digit4" };
        var clients = new Option<int>("--clients") { Description = "Requests sent at once", DefaultValueFactory = _ => 32 };
        var megabytes = new Option<double>("--body-mb") { Description = "Size of each body, in MB (10^6 bytes)", DefaultValueFactory = _ => 15 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds of --clients requests", DefaultValueFactory = _ => 1 };
        var serveArgs = new Option<string>("--serve-args") { Description = "Extra options for the service, space-separated (e.g. \"--max-request-bytes-in-flight 67108864\")", DefaultValueFactory = _ => "" };
        var report = new Option<string?>("--report") { Description = "Also write the result as a Markdown section of this file" };
        var command = new Command("serve-memory", "Issue 14's memory case: concurrent 15 MB request bodies refused after parsing; the service's peak resident memory before and after (the service in a child process).")
        {
            models, model, clients, megabytes, rounds, serveArgs, report,
        };
        command.SetAction(async parse =>
        {
            string folder = parse.GetValue(models)!, id = parse.GetValue(model)!;
            var manifest = ModelBundle.ReadManifest(Path.Combine(folder, id));
            int pixels = manifest.Model.ImageShape.Aggregate(1, (a, b) => a * b);
            string[] extra = parse.GetValue(serveArgs)!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long bodyBytes = (long)(parse.GetValue(megabytes) * 1e6);
            // The service as configured, then (a labelled ablation) with the byte budget out of the way, so that the table
            // shows what the budget itself holds back.
            (string Label, string[] Options)[] services =
            [
                ("as configured" + (extra.Length > 0 ? $" (`{string.Join(' ', extra)}`)" : " (defaults)"), extra),
                ("ablation: no byte budget (`--max-request-bytes-in-flight 1099511627776`)", [.. extra, "--max-request-bytes-in-flight", "1099511627776"]),
            ];
            var results = new List<(string Label, LargeBodyResult Result)>();
            foreach (var (label, options) in services)
            {
                await using var service = await ServiceReplica.Start(BenchHost.ServeCommand(), folder, TimeSpan.FromMinutes(2), options);
                results.Add((label, await LargeBodyBenchmark.Run(service, id, rows: 256, pixels, bodyBytes, parse.GetValue(clients), parse.GetValue(rounds))));
            }
            static string Mb(double mib) => mib.ToString("F0", CultureInfo.InvariantCulture);
            static string Statuses(LargeBodyResult r) =>
                string.Join(", ", r.Statuses.OrderBy(s => s.Key).Select(s => $"{s.Value} x {(s.Key == 0 ? "no answer" : s.Key.ToString(CultureInfo.InvariantCulture))}"));
            string args = parse.GetValue(serveArgs)!.Length > 0 ? $" --serve-args \"{parse.GetValue(serveArgs)}\"" : "";
            var first = results[0].Result;
            var md = new StringBuilder()
                .AppendLine($"## HTTP service: memory under {first.Clients} concurrent {first.BodyBytes / 1e6:F1} MB bodies (issue 14's case)")
                .AppendLine()
                .AppendLine($"Command: `./latent-ebm bench serve-memory --model {id} --clients {first.Clients} --body-mb {parse.GetValue(megabytes).ToString(CultureInfo.InvariantCulture)} --rounds {first.Rounds}{args}`; "
                    + $"{BenchHost.Cpu()}, load average {BenchHost.LoadAverage()}, {DateTime.UtcNow:yyyy-MM-dd}. Each body is valid JSON, 256 images of {pixels} long-written numbers, the last pixel 2 (outside the pixel range), "
                    + $"so each request the service takes is refused with 400 only after its whole body is read. Each service is a fresh child process; memory from its /proc/PID/status; peak growth = peak after - resident before.")
                .AppendLine()
                .AppendLine("| service | resident before (MiB) | peak after (MiB) | peak growth (MiB) | resident after (MiB) | answers | seconds |")
                .AppendLine("|---|---|---|---|---|---|---|");
            foreach (var (label, r) in results)
                md.AppendLine($"| {label} | {Mb(r.ResidentBefore)} | {Mb(r.PeakAfter)} | {Mb(r.PeakGrowth)} | {Mb(r.ResidentAfter)} | {Statuses(r)} | {r.Seconds:F1} |");
            AnsiConsole.WriteLine(md.ToString());
            if (parse.GetValue(report) is string path)
            {
                MarkdownSections.Replace(path, "serve-memory", md.ToString());
                AnsiConsole.MarkupLineInterpolated($"Written to {path}");
            }
            return 0;
        });
        return command;
    }
}
