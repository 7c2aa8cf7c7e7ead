using System.CommandLine;
using System.Globalization;
using System.Text;
using LatentEbm.Data.IO;
using LatentEbm.Server.Benchmarks;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary>
/// <c>latent-ebm bench replicas</c>: service replicas behind nginx on loopback (<see cref="ReplicaBenchmark"/>): the same seed
/// from every replica, throughput with one replica against all, and a replica SIGKILLed under load.
/// </summary>
internal static class ReplicaBenchCommand
{
    public static Command Create()
    {
        var models = new Option<string>("--models") { Description = "Folder of model bundles every replica serves", DefaultValueFactory = _ => "models" };
        var model = new Option<string>("--model") { Description = "Image model to drive", DefaultValueFactory = _ => "mnist-digit4" };
        var dataDir = new Option<string>("--data-dir") { Description = "Datasets folder (test images of the model's dataset are scored)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var replicas = new Option<int>("--replicas") { Description = "Service processes behind nginx (at least 2)", DefaultValueFactory = _ => 2 };
        var config = new Option<string>("--nginx-config") { Description = "The nginx configuration to run (its upstream servers and listen port are replaced by free loopback ports)", DefaultValueFactory = _ => "deploy/nginx/latent-ebm.conf" };
        var nginx = new Option<string>("--nginx") { Description = "nginx binary (Debian: apt-get install nginx-light)", DefaultValueFactory = _ => "/usr/sbin/nginx" };
        var perClient = new Option<int>("--requests-per-client") { Description = "Requests per client at each throughput level", DefaultValueFactory = _ => 8 };
        var killRequests = new Option<int>("--kill-requests") { Description = "Requests of the load during which a replica is killed (16 clients)", DefaultValueFactory = _ => 400 };
        var report = new Option<string?>("--report") { Description = "Also write the results as a Markdown section of this file" };
        var command = new Command("replicas", "Service replicas behind nginx on loopback, all started as child processes: the same seed from every replica and through the proxy, requests/s and p50/p99 with one replica against all at 8 and 32 clients, and one replica SIGKILLed under load (every request must be answered).")
        {
            models, model, dataDir, replicas, config, nginx, perClient, killRequests, report,
        };
        command.SetAction(async parse =>
        {
            string configPath = parse.GetValue(config)!, nginxPath = parse.GetValue(nginx)!;
            if (!File.Exists(nginxPath)) return Fail($"no nginx at {nginxPath}: apt-get install nginx-light, or pass --nginx");
            if (!File.Exists(configPath)) return Fail($"no nginx configuration at {configPath}");
            int n = parse.GetValue(replicas), kills = parse.GetValue(killRequests);
            if (n < 2) return Fail("--replicas must be at least 2");
            if (kills < 16 || kills % 16 != 0) return Fail("--kill-requests must be a positive multiple of 16");
            LatentEbm.Inference.Bundles.BundleManifest manifest;
            LatentEbm.Data.Datasets.LabeledImages test;
            try
            {
                (manifest, test) = BenchCommand.BundleTestImages(Path.Combine(parse.GetValue(models)!, parse.GetValue(model)!), parse.GetValue(dataDir)!);
            }
            catch (Exception e) when (e is IOException or LatentEbm.Inference.Bundles.BundleException)
            {
                return Fail(e.Message);
            }
            float[][] images = [.. Enumerable.Range(0, 8).Select(i => test.Image(i).ToArray())];
            string loadBefore = BenchHost.LoadAverage();
            ReplicaReport result;
            try
            {
                result = await ReplicaBenchmark.Run(new ReplicaSettings(BenchHost.ServeCommand(), parse.GetValue(models)!, parse.GetValue(model)!, images, nginxPath,
                    File.ReadAllText(configPath), n, [8, 32], parse.GetValue(perClient), 16, kills), line => AnsiConsole.MarkupLineInterpolated($"[grey]{line}[/]"));
            }
            catch (InvalidOperationException e)
            {
                return Fail(e.Message);
            }
            string md = Markdown(result, $"./latent-ebm bench replicas --replicas {n} --requests-per-client {parse.GetValue(perClient)} --kill-requests {kills} --report docs/benchmarks.md",
                parse.GetValue(model)!, manifest.Training.Dataset, configPath, nginxPath, loadBefore, BenchHost.LoadAverage());
            AnsiConsole.WriteLine(md);
            if (parse.GetValue(report) is string path)
            {
                MarkdownSections.Replace(path, "replicas", md);
                AnsiConsole.MarkupLineInterpolated($"Written to {path}");
            }
            bool ok = result.SameSeed.All(c => c.Identical && c.OtherSeedDiffers) && result.Kill.Load.Succeeded == result.Kill.Load.Requests;
            return ok ? 0 : 1;
        });
        return command;
    }

    private static string Markdown(ReplicaReport r, string commandLine, string model, string dataset, string config, string nginx, string loadBefore, string loadAfter)
    {
        static string F(double v, string format = "F1") => v.ToString(format, CultureInfo.InvariantCulture);
        int n = r.ReplicaResidentMiB.Count;
        string nginxVersion = NginxVersion(nginx);
        var md = new StringBuilder()
            .AppendLine($"## Replicas behind nginx: {n} service processes on loopback, {model}")
            .AppendLine()
            .AppendLine($"Command: `{commandLine}` (after `make build`); {BenchHost.Cpu()}; {nginxVersion} running `{config}` (1 worker); {DateTime.UtcNow:yyyy-MM-dd}; 1-minute load average {loadBefore} at the start, {loadAfter} at the end. " +
                $"Every replica is `latent-ebm serve --models models --urls http://127.0.0.1:PORT --provider cpu` (default options: micro-batching waits 2 ms, ONNX Runtime's default intra-op threads), a child process of the benchmark, as is nginx; the clients run in the benchmark process. " +
                $"Resident memory of each replica (all bundles under models/ loaded): {string.Join(", ", r.ReplicaResidentMiB.Select(m => F(m, "F0") + " MiB"))}.")
            .AppendLine()
            .AppendLine("**Same seed, same answer.** One request per endpoint with a fixed seed, sent to each replica directly and " +
                $"{2 * n} times through nginx; seed + 1 through nginx must differ (so the comparison can fail):")
            .AppendLine()
            .AppendLine("| endpoint | seed | answers compared | bytes | SHA-256 (first 16 hex) | replicas that answered through nginx | byte-identical | seed + 1 differs |")
            .AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var c in r.SameSeed)
            md.AppendLine($"| {c.Endpoint} | {c.Seed} | {c.Answers} | {c.Bytes} | `{c.Sha256}` | {c.ProxyUpstreams} of {n} | {(c.Identical ? "yes" : "**no**")} | {(c.OtherSeedDiffers ? "yes" : "**no**")} |");
        var k = r.Kill;
        md.AppendLine()
            .AppendLine($"**A replica killed under load.** {k.Load.Requests} requests through nginx from 16 clients (alternating samples of 16 decoded and scores of 8 {dataset} test images); " +
                $"after {k.KilledAfter} had finished, SIGKILL to one replica (it exited with {k.KilledExit}). " +
                $"Answers: {string.Join(", ", k.Load.StatusCounts.OrderBy(p => p.Key).Select(p => $"{p.Value} x HTTP {p.Key}"))}; requests without an answer: {k.Load.Errors.Count}" +
                $"{(k.Load.Errors.Count > 0 ? $" ({k.Load.Errors[0]})" : "")}. " +
                $"nginx sent {k.Retried} requests to a second replica after the first failed (the killed replica's requests in flight, and new ones before it was marked down); " +
                $"final answers by replica port: {string.Join(", ", k.AnsweredBy.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"))}. " +
                $"{F(k.Load.RequestsPerSecond)} req/s, p50 {F(k.Load.P50Ms)} ms, p99 {F(k.Load.P99Ms)} ms over the whole load.")
            .AppendLine()
            .AppendLine($"**Throughput, one replica against {n}** (through nginx in both cases; the same processes, the other replica idle in the one-replica case; samples of 16 decoded, scores of 8 images):")
            .AppendLine()
            .AppendLine($"| endpoint | clients | requests | 1 replica req/s | p50 ms | p99 ms | CPU ms / request | cores busy | machine idle | {n} replicas req/s | p50 ms | p99 ms | CPU ms / request | cores busy | machine idle | req/s ratio |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var group in r.Scaling.GroupBy(s => (s.Endpoint, s.Clients)))
        {
            var one = group.Single(s => s.Replicas == 1);
            var all = group.Single(s => s.Replicas == n);
            md.AppendLine($"| {group.Key.Endpoint} | {group.Key.Clients} | {one.Load.Requests} | {F(one.Load.RequestsPerSecond)} | {F(one.Load.P50Ms)} | {F(one.Load.P99Ms)} | {F(one.CpuMsPerRequest)} | {F(Busy(one), "F2")} | {F(100 * one.MachineIdle, "F0")} % | " +
                $"{F(all.Load.RequestsPerSecond)} | {F(all.Load.P50Ms)} | {F(all.Load.P99Ms)} | {F(all.CpuMsPerRequest)} | {F(Busy(all), "F2")} | {F(100 * all.MachineIdle, "F0")} % | {F(all.Load.RequestsPerSecond / one.Load.RequestsPerSecond, "F2")}x |");
        }
        int cores = Environment.ProcessorCount;
        md.AppendLine()
            .AppendLine("CPU ms / request: user + system CPU time of the replica processes during the level (`/proc/PID/stat`) over its requests: " +
                "what a request cost the replicas, whatever share of the cores other processes took (unlike req/s); it includes ONNX Runtime's spin-waiting " +
                "for work, so it grows when its threads contend. Cores busy: req/s x CPU ms / request / 1000, " +
                "the cores the replicas kept busy on average. Machine idle: the share of all cores' time nobody used during the level (`/proc/stat`).")
            .AppendLine()
            .AppendLine($"Why, on {cores} cores: the replicas share the same {cores} cores, each with ONNX Runtime's default intra-op pool (one thread per core) " +
                "and one micro-batcher per operation, whose loop runs one batch at a time. A batch is a Langevin chain of small matrix products " +
                "(a few rows of nz against 200-wide layers, one step after another inside a Loop node, then the decoder), which the intra-op pool splits poorly, " +
                "so one replica can leave a core idle; a second replica runs a second batch at the same time and can put that core to work. It cannot make a " +
                "request's arithmetic smaller (the CPU ms per request also count ONNX Runtime's spin-waiting, which changes with how the threads contend, so the " +
                "columns differ by more than the arithmetic), it cannot go past the core count, " +
                "and it does nothing for a lone client's latency. " + Measured(r.Scaling, n, cores, loadBefore, loadAfter) +
                " Beyond one machine's cores, replicas scale with cores: one replica per few cores (a cpuset or CPU limit per replica), which is how an orchestrator would place them.");
        return md.ToString().TrimEnd() + "\n";
    }

    /// <summary>What this run's columns say: whether a second replica found idle cores, or took CPU time from the clients, nginx and other jobs on the same cores.</summary>
    private static string Measured(IReadOnlyList<ScalingResult> scaling, int n, int cores, string loadBefore, string loadAfter)
    {
        static string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
        static string P(double v) => (100 * v).ToString("F0", CultureInfo.InvariantCulture) + " %";
        var one = scaling.Where(x => x.Replicas == 1).ToList();
        var all = scaling.Where(x => x.Replicas == n).ToList();
        string busy = $"In this run one replica kept {F(one.Min(Busy))} to {F(one.Max(Busy))} cores busy, {n} replicas {F(all.Min(Busy))} to {F(all.Max(Busy))}; " +
            $"the machine's idle time was {Range(one)} with one replica and {Range(all)} with {n}.";
        string Range(List<ScalingResult> x) => P(x.Min(y => y.MachineIdle)) == P(x.Max(y => y.MachineIdle))
            ? P(x[0].MachineIdle) + " in every level" : $"{P(x.Min(y => y.MachineIdle))} to {P(x.Max(y => y.MachineIdle))}";
        return one.Average(x => x.MachineIdle) >= 0.10
            ? busy + $" One replica left cores idle, and the second put them to work: that, not cheaper requests, is where its gain comes from."
            : busy + $" With one replica the cores were idle {P(one.Average(x => x.MachineIdle))} of the time on average: what the replica left went to the " +
              $"benchmark's own clients and nginx, which run on the same {cores} cores, and to any other job (load average {loadBefore} to {loadAfter}, the " +
              "benchmark's processes included). So the req/s ratios here measure how much of that shared CPU time more replica threads win (Linux shares the " +
              "cores per runnable thread), not what a second replica gives when the clients and the proxy run on other cores.";
    }

    /// <summary>Cores the replicas kept busy during a level: requests/s times CPU seconds per request.</summary>
    private static double Busy(ScalingResult x) => x.Load.RequestsPerSecond * x.CpuMsPerRequest / 1000;

    private static string NginxVersion(string nginx)
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(nginx, "-v") { RedirectStandardError = true, UseShellExecute = false })!;
            string text = process.StandardError.ReadToEnd().Trim();
            process.WaitForExit();
            return text.Replace("nginx version: ", "", StringComparison.Ordinal);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "nginx";
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }
}
