using System.Diagnostics;
using System.Net.Http.Json;
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

/// <summary>
/// Starts the service on loopback (an ephemeral port) with micro-batching on and off, and drives it
/// with a bounded number of requests at several concurrency levels: prior samples (16 decoded) and
/// anomaly scores (8 images). Traffic goes to 127.0.0.1 only and stops by itself.
/// </summary>
public static class ServeBenchmark
{
    /// <summary>Runs every combination; <paramref name="images"/> are 8 images in the model's shape.</summary>
    public static async Task<IReadOnlyList<LoadResult>> Run(ServerOptions baseOptions, string modelId, float[][] images, int[] concurrencies, int requestsPerClient)
    {
        var results = new List<LoadResult>();
        foreach (bool batching in new[] { false, true })
        {
            var options = baseOptions with { Urls = "http://127.0.0.1:0", BatchWaitMilliseconds = batching ? baseOptions.BatchWaitMilliseconds : 0, QueueLimit = 1024 };
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
                await Send(client, $"/v1/models/{modelId}/{endpoint}", body(0)); // warm-up
                foreach (int c in concurrencies)
                    results.Add(await Drive(client, $"/v1/models/{modelId}/{endpoint}", endpoint, batching, c, requestsPerClient, body));
            }
            await app.StopAsync();
        }
        return results;
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

    private static async Task<LoadResult> Drive(HttpClient client, string path, string endpoint, bool batching, int concurrency, int perClient, Func<int, object> body)
    {
        var latencies = new List<double>();
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            for (int i = 0; i < perClient; i++)
            {
                double ms = await Send(client, path, body(worker * perClient + i));
                lock (latencies) latencies.Add(ms);
            }
        }));
        double seconds = wall.Elapsed.TotalSeconds;
        latencies.Sort();
        return new LoadResult(endpoint, batching, concurrency, latencies.Count, latencies.Count / seconds,
            latencies[latencies.Count / 2], latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(0.99 * latencies.Count) - 1)]);
    }

    private static async Task<double> Send(HttpClient client, string path, object body)
    {
        var watch = Stopwatch.StartNew();
        using var response = await client.PostAsJsonAsync(path, body);
        await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{path}: HTTP {(int)response.StatusCode}");
        return watch.Elapsed.TotalMilliseconds;
    }
}
