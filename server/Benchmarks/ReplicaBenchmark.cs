using System.Security.Cryptography;

namespace LatentEbm.Server.Benchmarks;

/// <summary>What <see cref="ReplicaBenchmark.Run"/> needs.</summary>
/// <param name="ServeCommand">The service's command without its options, e.g. <c>dotnet cli/bin/Release/net10.0/linux-x64/latent-ebm.dll serve</c>.</param>
/// <param name="ModelsFolder">Folder of bundles every replica serves (read-only: replicas share it).</param>
/// <param name="ModelId">The image model driven (e.g. <c>mnist-digit4</c>).</param>
/// <param name="Images">Images sent to <c>/scores</c>, each in the model's shape.</param>
/// <param name="Nginx">The nginx binary.</param>
/// <param name="Template">The text of <c>deploy/nginx/latent-ebm.conf</c>.</param>
/// <param name="Replicas">Service processes behind nginx (at least 2).</param>
/// <param name="Levels">Client counts of the throughput comparison.</param>
/// <param name="RequestsPerClient">Requests per client at each throughput level.</param>
/// <param name="KillClients">Clients of the replica-kill load.</param>
/// <param name="KillRequests">Requests of the replica-kill load (a multiple of <paramref name="KillClients"/>); a replica is killed after a quarter of them.</param>
public sealed record ReplicaSettings(IReadOnlyList<string> ServeCommand, string ModelsFolder, string ModelId, float[][] Images, string Nginx, string Template,
    int Replicas = 2, int[]? Levels = null, int RequestsPerClient = 8, int KillClients = 16, int KillRequests = 400);

/// <summary>The same request with the same seed sent to every replica directly and through the proxy.</summary>
/// <param name="Endpoint">samples or scores.</param>
/// <param name="Seed">The seed sent.</param>
/// <param name="Answers">Answers compared (each replica directly, then as many through the proxy).</param>
/// <param name="Bytes">Length of the first answer.</param>
/// <param name="Sha256">SHA-256 of the first answer, hex, first 16 digits.</param>
/// <param name="Identical">Whether every answer is byte-identical to the first.</param>
/// <param name="OtherSeedDiffers">Whether seed + 1 through the proxy gives different bytes (the comparison can fail).</param>
/// <param name="ProxyUpstreams">Distinct replicas that answered the proxied requests (from nginx's access log).</param>
public sealed record SameSeedCheck(string Endpoint, int Seed, int Answers, int Bytes, string Sha256, bool Identical, bool OtherSeedDiffers, int ProxyUpstreams);

/// <summary>One throughput level through the proxy.</summary>
/// <param name="Endpoint">samples or scores.</param>
/// <param name="Replicas">Replicas behind nginx.</param>
/// <param name="Clients">Clients at once.</param>
/// <param name="Load">What the clients got.</param>
/// <param name="CpuMsPerRequest">CPU time (user + system) the replicas used during the load, per request, in ms: the work a request
/// costs, whatever share of the cores the replicas got from other processes (ONNX Runtime's spin-waiting included).</param>
/// <param name="MachineIdle">Fraction of the machine's CPU time that was idle during the load (<c>/proc/stat</c>, all cores): near 0, every
/// core was busy, with the replicas or with other processes.</param>
public sealed record ScalingResult(string Endpoint, int Replicas, int Clients, LoadOutcome Load, double CpuMsPerRequest, double MachineIdle);

/// <summary>The load during which one replica was killed.</summary>
/// <param name="KilledAfter">Requests finished when SIGKILL was sent.</param>
/// <param name="Load">What the clients got.</param>
/// <param name="Retried">Requests nginx sent to more than one replica (access log).</param>
/// <param name="AnsweredBy">Requests by the replica (port) that gave the final answer (access log).</param>
/// <param name="KilledExit">The killed replica's exit code (137: SIGKILL).</param>
public sealed record KillOutcome(int KilledAfter, LoadOutcome Load, int Retried, IReadOnlyDictionary<string, int> AnsweredBy, int KilledExit);

/// <summary>Everything measured.</summary>
/// <param name="SameSeed">Part (a): one check per endpoint.</param>
/// <param name="Scaling">Part (c): one replica against all, per endpoint and client count.</param>
/// <param name="Kill">Part (b): the load during which a replica was killed.</param>
/// <param name="ReplicaResidentMiB">Resident memory of each replica before the kill (VmRSS, MiB).</param>
public sealed record ReplicaReport(IReadOnlyList<SameSeedCheck> SameSeed, IReadOnlyList<ScalingResult> Scaling, KillOutcome Kill, IReadOnlyList<double> ReplicaResidentMiB);

/// <summary>
/// Replicas behind nginx on loopback (issue 14, point 7): starts <see cref="ReplicaSettings.Replicas"/> service processes and
/// nginx from the committed configuration, all as child processes; checks that the same seed gives byte-identical answers
/// from every replica and through the proxy; measures throughput through the proxy with one replica and with all of them;
/// then SIGKILLs one replica under load and counts the answers. Traffic stays on 127.0.0.1; every child is stopped at the end.
/// </summary>
public static class ReplicaBenchmark
{
    /// <summary>Runs the three parts in one run.</summary>
    /// <exception cref="InvalidOperationException">A replica or nginx did not start (their output quoted), or a warm-up request failed.</exception>
    public static async Task<ReplicaReport> Run(ReplicaSettings s, Action<string>? progress = null)
    {
        if (s.Replicas < 2) throw new ArgumentOutOfRangeException(nameof(s), "at least 2 replicas");
        if (s.KillRequests % s.KillClients != 0) throw new ArgumentOutOfRangeException(nameof(s), "KillRequests must be a multiple of KillClients");
        int[] levels = s.Levels ?? [8, 32];
        string samples = $"/v1/models/{s.ModelId}/samples", scores = $"/v1/models/{s.ModelId}/scores";
        LoadRequest Request(string endpoint, int seed) => endpoint == "samples"
            ? new LoadRequest(samples, new { count = 16, seed, decode = true })
            : new LoadRequest(scores, new { images = s.Images, seed });

        progress?.Invoke($"starting {s.Replicas} replicas");
        var replicas = new List<ServiceReplica>();
        try
        {
            foreach (var started in await Task.WhenAll(Enumerable.Range(0, s.Replicas).Select(_ => ServiceReplica.Start(s.ServeCommand, s.ModelsFolder, TimeSpan.FromMinutes(2)))))
                replicas.Add(started);
            int[] ports = [.. replicas.Select(r => r.Port)];

            // (a) the same seed from every replica directly and through the proxy.
            var sameSeed = new List<SameSeedCheck>();
            await using (var proxy = await NginxProxy.Start(s.Nginx, s.Template, ports))
            {
                foreach (var endpoint in new[] { "samples", "scores" })
                {
                    progress?.Invoke($"same seed: {endpoint}");
                    const int seed = 20261202;
                    var answers = new List<byte[]>();
                    foreach (var r in replicas) answers.Add(await LoadDriver.Answer(r.Client, Request(endpoint, seed)));
                    int logged = proxy.AccessLog().Count;
                    for (int i = 0; i < 2 * s.Replicas; i++) answers.Add(await LoadDriver.Answer(proxy.Client, Request(endpoint, seed)));
                    int upstreams = proxy.AccessLog().Skip(logged).Select(Upstream).Distinct().Count();
                    byte[] other = await LoadDriver.Answer(proxy.Client, Request(endpoint, seed + 1));
                    sameSeed.Add(new SameSeedCheck(endpoint, seed, answers.Count, answers[0].Length, Convert.ToHexString(SHA256.HashData(answers[0]))[..16].ToLowerInvariant(),
                        answers.All(a => a.AsSpan().SequenceEqual(answers[0])), !other.AsSpan().SequenceEqual(answers[0]), upstreams));
                }
            }

            // (c) throughput through the proxy: the first replica alone against all of them (same processes, same run), each level
            // measured with one replica and then with all, back to back, so that both see the same conditions on the machine.
            var scaling = new List<ScalingResult>();
            await using (var proxyOne = await NginxProxy.Start(s.Nginx, s.Template, ports[..1]))
            await using (var proxyAll = await NginxProxy.Start(s.Nginx, s.Template, ports))
            {
                foreach (var endpoint in new[] { "samples", "scores" })
                {
                    for (int i = 0; i < 2 * s.Replicas; i++) // warm-up of each replica's batcher
                    {
                        await LoadDriver.Answer(proxyOne.Client, Request(endpoint, i));
                        await LoadDriver.Answer(proxyAll.Client, Request(endpoint, i));
                    }
                    foreach (int clients in levels)
                        foreach (var (count, proxy) in new[] { (1, proxyOne), (s.Replicas, proxyAll) })
                        {
                            progress?.Invoke($"throughput: {count} replica(s), {endpoint}, {clients} clients");
                            double cpu = replicas.Sum(r => r.Process.CpuSeconds());
                            var (idle0, total0) = MachineTicks();
                            var load = await LoadDriver.Run(proxy.Client, clients, s.RequestsPerClient, i => Request(endpoint, i));
                            var (idle1, total1) = MachineTicks();
                            cpu = replicas.Sum(r => r.Process.CpuSeconds()) - cpu;
                            scaling.Add(new ScalingResult(endpoint, count, clients, load, 1000 * cpu / load.Requests, (idle1 - idle0) / (double)Math.Max(1, total1 - total0)));
                        }
                }
            }

            // (b) SIGKILL one replica under load through the proxy; every request must still be answered.
            var resident = replicas.Select(r => r.Process.Memory().ResidentMiB).ToList();
            KillOutcome kill;
            await using (var proxy = await NginxProxy.Start(s.Nginx, s.Template, ports))
            {
                progress?.Invoke($"kill: {s.KillRequests} requests from {s.KillClients} clients, SIGKILL to the replica on port {ports[0]} after {s.KillRequests / 4}");
                int killAt = s.KillRequests / 4, killedAfter = -1;
                var victim = replicas[0];
                var load = await LoadDriver.Run(proxy.Client, s.KillClients, s.KillRequests / s.KillClients,
                    i => Request(i % 2 == 0 ? "samples" : "scores", i),
                    done =>
                    {
                        if (done == killAt && Interlocked.CompareExchange(ref killedAfter, done, -1) == -1) victim.Process.Kill();
                    });
                int exit = await victim.Process.WaitForExit(TimeSpan.FromSeconds(10));
                var log = proxy.AccessLog();
                kill = new KillOutcome(killedAfter, load, log.Count(l => Upstream(l).Contains(',')),
                    log.GroupBy(l => Upstream(l).Split(',')[^1].Trim()).ToDictionary(g => g.Key, g => g.Count()), exit);
            }
            return new ReplicaReport(sameSeed, scaling, kill, resident);
        }
        finally
        {
            await Task.WhenAll(replicas.Select(async r =>
            {
                if (!r.Process.HasExited) await r.Stop();
                await r.DisposeAsync();
            }));
        }
    }

    /// <summary>Idle (idle + iowait) and total CPU ticks of the whole machine so far, from the first line of <c>/proc/stat</c>.</summary>
    private static (long Idle, long Total) MachineTicks()
    {
        long[] t = [.. File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(long.Parse)];
        return (t[3] + t[4], t.Sum());
    }

    /// <summary>The quoted <c>$upstream_addr</c> of an access-log line written by <see cref="NginxProxy"/>.</summary>
    private static string Upstream(string line) => line.Split('"')[1];
}
