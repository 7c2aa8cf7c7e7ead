using System.Diagnostics;
using System.Net.Http.Json;

namespace LatentEbm.Server.Benchmarks;

/// <summary>One request of a load: where it goes and its JSON body.</summary>
/// <param name="Path">Absolute path on the service, e.g. <c>/v1/models/mnist-digit4/samples</c>.</param>
/// <param name="Body">Serialised as JSON.</param>
public sealed record LoadRequest(string Path, object Body);

/// <summary>What a load of requests got back.</summary>
/// <param name="Requests">Requests sent.</param>
/// <param name="StatusCounts">Answers by HTTP status code.</param>
/// <param name="Errors">Requests that got no answer (connection refused or reset, timeout), by exception type and message.</param>
/// <param name="Seconds">Wall time of the whole load.</param>
/// <param name="LatenciesMs">Latency of every answered request, sorted, in milliseconds.</param>
public sealed record LoadOutcome(int Requests, IReadOnlyDictionary<int, int> StatusCounts, IReadOnlyList<string> Errors, double Seconds, double[] LatenciesMs)
{
    /// <summary>Answers with a 2xx status.</summary>
    public int Succeeded => StatusCounts.Where(p => p.Key is >= 200 and < 300).Sum(p => p.Value);

    /// <summary>Answered requests per second of wall time.</summary>
    public double RequestsPerSecond => LatenciesMs.Length / Seconds;

    /// <summary>Median latency (ms) of the answered requests.</summary>
    public double P50Ms => Percentile(0.50);

    /// <summary>99th-percentile latency (ms, nearest rank) of the answered requests.</summary>
    public double P99Ms => Percentile(0.99);

    private double Percentile(double q) => LatenciesMs.Length == 0 ? double.NaN
        : LatenciesMs[Math.Clamp((int)Math.Ceiling(q * LatenciesMs.Length) - 1, 0, LatenciesMs.Length - 1)];
}

/// <summary>
/// Closed-loop load: <c>concurrency</c> clients each send <c>perClient</c> requests one after another (a client sends its
/// next request when the previous one is answered). Every request is counted: by status when answered, as an error when not.
/// </summary>
public static class LoadDriver
{
    /// <summary>Sends the load and waits for every request.</summary>
    /// <param name="client">Client whose base address is the service (or the proxy).</param>
    /// <param name="concurrency">Clients at once (at least 1).</param>
    /// <param name="perClient">Requests per client (at least 1).</param>
    /// <param name="request">The request with global index i (client c sends c * perClient .. c * perClient + perClient - 1).</param>
    /// <param name="completed">Called after each request with the number of requests finished so far (answered or not).</param>
    public static async Task<LoadOutcome> Run(HttpClient client, int concurrency, int perClient, Func<int, LoadRequest> request, Action<int>? completed = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(concurrency);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perClient);
        var latencies = new List<double>();
        var statuses = new Dictionary<int, int>();
        var errors = new List<string>();
        int done = 0;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            for (int i = 0; i < perClient; i++)
            {
                var r = request(worker * perClient + i);
                var watch = Stopwatch.StartNew();
                try
                {
                    using var response = await client.PostAsJsonAsync(r.Path, r.Body);
                    await response.Content.ReadAsByteArrayAsync();
                    double ms = watch.Elapsed.TotalMilliseconds;
                    lock (latencies)
                    {
                        latencies.Add(ms);
                        statuses[(int)response.StatusCode] = statuses.GetValueOrDefault((int)response.StatusCode) + 1;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    lock (latencies) errors.Add($"{e.GetType().Name}: {e.Message}");
                }
                completed?.Invoke(Interlocked.Increment(ref done));
            }
        })));
        double seconds = wall.Elapsed.TotalSeconds;
        latencies.Sort();
        return new LoadOutcome(concurrency * perClient, statuses, errors, seconds, [.. latencies]);
    }

    /// <summary>Sends one request and returns the answer's bytes.</summary>
    /// <exception cref="InvalidOperationException">A status other than 2xx (named, with the path and the answer's start).</exception>
    public static async Task<byte[]> Answer(HttpClient client, LoadRequest request)
    {
        using var response = await client.PostAsJsonAsync(request.Path, request.Body);
        byte[] bytes = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{client.BaseAddress}{request.Path.TrimStart('/')}: HTTP {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(bytes.AsSpan(0, Math.Min(300, bytes.Length)))}");
        return bytes;
    }
}
