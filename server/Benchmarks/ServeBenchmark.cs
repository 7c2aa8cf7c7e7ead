using System.Diagnostics;
using LatentEbm.Server.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace LatentEbm.Server.Benchmarks;

/// <summary>One measured load level.</summary>
/// <param name="Endpoint">samples or scores.</param>
/// <param name="Batching">Whether micro-batching was on.</param>
/// <param name="Concurrency">Clients sending at once.</param>
/// <param name="Requests">Requests sent (all must succeed).</param>
/// <param name="RequestsPerSecond">Throughput.</param>
/// <param name="P50Ms">Median latency.</param>
/// <param name="P99Ms">99th-percentile latency.</param>
public sealed record LoadResult(string Endpoint, bool Batching, int Concurrency, int Requests, double RequestsPerSecond, double P50Ms, double P99Ms);

/// <summary>Resident memory of a service process over a long run of requests (issue 14, point 8).</summary>
/// <param name="Requests">Requests of the soak (after the warm-up).</param>
/// <param name="Clients">Clients sending them.</param>
/// <param name="Warmup">Requests sent before the first reading after the warm-up.</param>
/// <param name="Seconds">Wall time of the soak.</param>
/// <param name="Failed">Soak requests without a 2xx answer.</param>
/// <param name="ReadyMiB">VmRSS once /readyz answered (bundles loaded, no request yet).</param>
/// <param name="WarmMiB">VmRSS after the warm-up, just before the soak.</param>
/// <param name="AfterMiB">VmRSS after the soak.</param>
/// <param name="PeakMiB">VmHWM (peak resident memory) after the soak.</param>
public sealed record SoakResult(int Requests, int Clients, int Warmup, double Seconds, int Failed, double ReadyMiB, double WarmMiB, double AfterMiB, double PeakMiB);

/// <summary>
/// Starts the service on loopback (an ephemeral port) with micro-batching on and off, and drives it
/// with a bounded number of requests at several concurrency levels: prior samples (16 decoded) and
/// anomaly scores (8 images). Traffic goes to 127.0.0.1 only and stops by itself.
/// </summary>
public static class ServeBenchmark
{
    /// <summary>Runs every combination; <paramref name="images"/> are 8 images in the model's shape.</summary>
    /// <param name="baseOptions">Service options; micro-batching waits its <see cref="ServerOptions.BatchWaitMilliseconds"/> when on.</param>
    /// <param name="modelId">The image model driven.</param>
    /// <param name="images">Images of each /scores request.</param>
    /// <param name="concurrencies">Client counts, e.g. 1, 8, 32, 128.</param>
    /// <param name="requestsPerClient">Requests each client sends per level.</param>
    /// <param name="minRequests">A level sends at least this many requests in all (a single client sends more than <paramref name="requestsPerClient"/>).</param>
    /// <exception cref="InvalidOperationException">A request was not answered with 2xx.</exception>
    public static async Task<IReadOnlyList<LoadResult>> Run(ServerOptions baseOptions, string modelId, float[][] images, int[] concurrencies, int requestsPerClient, int minRequests = 0)
    {
        var results = new List<LoadResult>();
        foreach (bool batching in new[] { false, true })
        {
            // The queue holds every client of the largest level: the benchmark measures latency, not refusals.
            var options = baseOptions with { Urls = "http://127.0.0.1:0", BatchWaitMilliseconds = batching ? baseOptions.BatchWaitMilliseconds : 0, QueueLimit = Math.Max(1024, concurrencies.Max()) };
            await using var app = LatentEbmServer.Build(options);
            app.Logger.LogInformation("benchmark: batching {Batching}", batching);
            await app.StartAsync();
            string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(5) };
            foreach (var (endpoint, body) in new (string, Func<int, object>)[]
                     {
                         ("samples", seed => new { count = 16, seed, decode = true }),
                         ("scores", seed => new { images, seed }),
                     })
            {
                string path = $"/v1/models/{modelId}/{endpoint}";
                await LoadDriver.Answer(client, new LoadRequest(path, body(0))); // warm-up
                foreach (int c in concurrencies)
                {
                    int perClient = Math.Max(requestsPerClient, (minRequests + c - 1) / c);
                    var load = await LoadDriver.Run(client, c, perClient, i => new LoadRequest(path, body(i)));
                    if (load.Succeeded != load.Requests)
                        throw new InvalidOperationException($"{path} at {c} clients: {load.Requests - load.Succeeded} of {load.Requests} requests failed " +
                            $"({string.Join(", ", load.StatusCounts.Select(p => $"HTTP {p.Key}: {p.Value}"))}{(load.Errors.Count > 0 ? "; " + load.Errors[0] : "")})");
                    results.Add(new LoadResult(endpoint, batching, c, load.Requests, load.RequestsPerSecond, load.P50Ms, load.P99Ms));
                }
            }
            await app.StopAsync();
        }
        return results;
    }

    /// <summary>
    /// Soak: starts the service as a child process (<paramref name="serveCommand"/> with <c>--models</c>, <c>--urls</c>, its
    /// default options: micro-batching on), sends <paramref name="warmup"/> requests, then <paramref name="requests"/> more from
    /// <paramref name="clients"/> clients, alternating one decoded prior sample and the score of one image, and reads the
    /// service process's own resident memory (<c>/proc/PID/status</c>: the load-generating clients are not counted).
    /// </summary>
    /// <param name="serveCommand">The service's command without its options, e.g. <c>dotnet latent-ebm.dll serve</c>.</param>
    /// <param name="modelsFolder">Bundles folder.</param>
    /// <param name="modelId">The image model driven.</param>
    /// <param name="image">One image in the model's shape.</param>
    /// <param name="requests">Requests measured (e.g. 10,000).</param>
    /// <param name="clients">Clients at once.</param>
    /// <param name="warmup">Requests before the first reading.</param>
    public static async Task<SoakResult> Soak(IReadOnlyList<string> serveCommand, string modelsFolder, string modelId, float[] image, int requests, int clients, int warmup)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requests);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clients);
        await using var service = await ServiceReplica.Start(serveCommand, modelsFolder, TimeSpan.FromMinutes(2));
        double ready = service.Process.Memory().ResidentMiB;
        LoadRequest Request(int i) => i % 2 == 0
            ? new LoadRequest($"/v1/models/{modelId}/samples", new { count = 1, seed = i, decode = true })
            : new LoadRequest($"/v1/models/{modelId}/scores", new { images = new[] { image }, seed = i });
        var warm = await LoadDriver.Run(service.Client, clients, Math.Max(1, warmup / clients), Request);
        if (warm.Succeeded != warm.Requests) throw new InvalidOperationException($"soak warm-up: {warm.Requests - warm.Succeeded} requests failed");
        double warmMiB = service.Process.Memory().ResidentMiB;
        var soak = await LoadDriver.Run(service.Client, clients, (requests + clients - 1) / clients, i => Request(i + warmup));
        var (after, peak) = service.Process.Memory();
        await service.Stop();
        return new SoakResult(soak.Requests, clients, warm.Requests, soak.Seconds, soak.Requests - soak.Succeeded, ready, warmMiB, after, peak);
    }

    /// <summary>
    /// Times <c>POST /latents</c> for one batch of images on a bundle with an encoder, one request at a time, once with the
    /// chains started at the encoder's mean (<c>?start=encoder</c>) and once from noise (<c>?start=noise</c>, the bundle's
    /// noise-started chain length), alternating, after one warm-up each.
    /// </summary>
    /// <param name="options">Service options (its models folder holds the bundle).</param>
    /// <param name="modelId">The bundle's id (its folder name).</param>
    /// <param name="images">The batch, e.g. 256 images in the model's shape.</param>
    /// <param name="repetitions">Timed requests per start.</param>
    /// <returns>Per start ("encoder", "noise"): the sorted latencies in ms.</returns>
    public static async Task<IReadOnlyDictionary<string, double[]>> Latents(ServerOptions options, string modelId, float[][] images, int repetitions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(repetitions);
        await using var app = LatentEbmServer.Build(options with { Urls = "http://127.0.0.1:0", BatchWaitMilliseconds = 0 });
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(5) };
        string[] starts = ["encoder", "noise"];
        var latencies = starts.ToDictionary(s => s, _ => new List<double>());
        foreach (var start in starts) await Send(client, $"/v1/models/{modelId}/latents?start={start}", new { images, seed = 0 }); // warm-up
        for (int i = 0; i < repetitions; i++)
            foreach (var start in starts)
                latencies[start].Add(await Send(client, $"/v1/models/{modelId}/latents?start={start}", new { images, seed = i + 1 }));
        await app.StopAsync();
        return latencies.ToDictionary(p => p.Key, p => p.Value.Order().ToArray());
    }

    private static async Task<double> Send(HttpClient client, string path, object body)
    {
        var watch = Stopwatch.StartNew();
        await LoadDriver.Answer(client, new LoadRequest(path, body));
        return watch.Elapsed.TotalMilliseconds;
    }
}
