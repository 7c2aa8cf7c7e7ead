using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace LatentEbm.Server.Benchmarks;

/// <summary>What <see cref="LargeBodyBenchmark.Run"/> measured on the service's process.</summary>
/// <param name="BodyBytes">Size of each request body.</param>
/// <param name="Clients">Requests sent at once per round.</param>
/// <param name="Rounds">Rounds sent.</param>
/// <param name="ResidentBefore">The service's resident memory (VmRSS) before the first round, MiB.</param>
/// <param name="PeakBefore">Its peak resident memory (VmHWM) before the first round, MiB.</param>
/// <param name="PeakAfter">Its peak resident memory after the last round, MiB.</param>
/// <param name="ResidentAfter">Its resident memory after the last round, MiB.</param>
/// <param name="Statuses">How many answers had each HTTP status (0: no answer: the connection failed).</param>
/// <param name="Seconds">Wall time of the rounds.</param>
public sealed record LargeBodyResult(long BodyBytes, int Clients, int Rounds, double ResidentBefore, double PeakBefore, double PeakAfter, double ResidentAfter,
    IReadOnlyDictionary<int, int> Statuses, double Seconds)
{
    /// <summary>How far the peak rose above the resident memory before the load, MiB (the measure).</summary>
    public double PeakGrowth => PeakAfter - ResidentBefore;
}

/// <summary>
/// Issue 14's memory case: <c>clients</c> concurrent <c>POST /scores</c> requests whose bodies are <c>bodyBytes</c> of valid
/// JSON (the model's largest batch of images, numbers written long) with the very last pixel out of range, so each is
/// refused with 400 only after the whole body is read; the service runs as a child process so that only its memory counts.
/// </summary>
public static class LargeBodyBenchmark
{
    /// <summary>Sends the rounds and reads the service's memory before and after.</summary>
    /// <param name="service">The service (a child process), ready.</param>
    /// <param name="modelId">An image model it serves.</param>
    /// <param name="rows">Images per body (at most the service's MaxImages).</param>
    /// <param name="pixels">Pixels per image, C*H*W of the model.</param>
    /// <param name="bodyBytes">Target body size in bytes (below the service's MaxBodyBytes).</param>
    /// <param name="clients">Requests at once.</param>
    /// <param name="rounds">Rounds of <paramref name="clients"/> requests.</param>
    public static async Task<LargeBodyResult> Run(ServiceReplica service, string modelId, int rows, int pixels, long bodyBytes, int clients, int rounds)
    {
        byte[] body = Body(rows, pixels, bodyBytes);
        var (residentBefore, peakBefore) = service.Process.Memory();
        var statuses = new Dictionary<int, int>();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = service.Client.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        var watch = Stopwatch.StartNew();
        for (int round = 0; round < rounds; round++)
        {
            int[] codes = await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
            {
                try
                {
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    using var response = await http.PostAsync($"/v1/models/{modelId}/scores", content);
                    await response.Content.ReadAsByteArrayAsync();
                    return (int)response.StatusCode;
                }
                catch (HttpRequestException)
                {
                    return 0;
                }
            }));
            foreach (int code in codes) statuses[code] = statuses.GetValueOrDefault(code) + 1;
        }
        double seconds = watch.Elapsed.TotalSeconds;
        var (residentAfter, peakAfter) = service.Process.Memory();
        return new LargeBodyResult(body.Length, clients, rounds, residentBefore, peakBefore, peakAfter, residentAfter, statuses, seconds);
    }

    /// <summary>
    /// <c>{"images": [[...], ...], "seed": 1}</c> with <paramref name="rows"/> rows of <paramref name="pixels"/> in-range numbers
    /// padded with digits to about <paramref name="bodyBytes"/> in all, the last pixel 2 (outside [-1, 1]).
    /// </summary>
    public static byte[] Body(int rows, int pixels, long bodyBytes)
    {
        long numbers = (long)rows * pixels;
        int width = (int)Math.Max(3, bodyBytes / numbers - 1); // each number and its comma
        string number = ("0." + new string('1', width)).Substring(0, width);
        var text = new StringBuilder((int)Math.Min(int.MaxValue, bodyBytes + 1024)).Append("{\"images\":[");
        for (int r = 0; r < rows; r++)
        {
            text.Append(r == 0 ? "[" : ",[");
            for (int c = 0; c < pixels; c++)
            {
                if (c > 0) text.Append(',');
                text.Append(r == rows - 1 && c == pixels - 1 ? "2" : number);
            }
            text.Append(']');
        }
        return Encoding.UTF8.GetBytes(text.Append("],\"seed\":1}").ToString());
    }
}
