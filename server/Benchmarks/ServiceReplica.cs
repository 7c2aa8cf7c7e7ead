namespace LatentEbm.Server.Benchmarks;

/// <summary>
/// One service process (<c>latent-ebm serve</c> or <c>latent-ebm-server</c>) on a free loopback port, started as a child
/// process (<c>--models</c>, <c>--urls</c>, <c>--provider cpu</c> and any further options), so that benchmarks can read its
/// own memory and CPU time or kill it.
/// </summary>
public sealed class ServiceReplica : IAsyncDisposable
{
    private ServiceReplica(ChildProcess process, int port)
    {
        Process = process;
        Port = port;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(5) };
    }

    /// <summary>The child process.</summary>
    public ChildProcess Process { get; }

    /// <summary>Its loopback port.</summary>
    public int Port { get; }

    /// <summary>A client of this replica alone.</summary>
    public HttpClient Client { get; }

    /// <summary>
    /// Starts <paramref name="serveCommand"/> (e.g. <c>dotnet latent-ebm.dll serve</c>) with <c>--models</c>, <c>--urls</c> on a
    /// free port, <c>--provider cpu</c> and <paramref name="options"/> (further service options, e.g. <c>--max-queued-rows 8192</c>),
    /// and waits until <c>GET /readyz</c> answers 200 (every bundle loaded).
    /// </summary>
    /// <exception cref="InvalidOperationException">The process ended, or was not ready within <paramref name="readyWithin"/> (its output quoted).</exception>
    public static async Task<ServiceReplica> Start(IReadOnlyList<string> serveCommand, string modelsFolder, TimeSpan readyWithin, IEnumerable<string>? options = null)
    {
        int port = ChildProcess.FreePort();
        var process = ChildProcess.Start([.. serveCommand, "--models", modelsFolder, "--urls", $"http://127.0.0.1:{port}", "--provider", "cpu", .. options ?? []]);
        var replica = new ServiceReplica(process, port);
        var deadline = DateTime.UtcNow + readyWithin;
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"the service on port {port} ended before it was ready:\n{process.Output()}");
            try
            {
                using var ready = await replica.Client.GetAsync("/readyz");
                if (ready.IsSuccessStatusCode) return replica;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            if (DateTime.UtcNow > deadline)
            {
                await replica.DisposeAsync();
                throw new InvalidOperationException($"the service on port {port} was not ready within {readyWithin.TotalSeconds:F0} s:\n{process.Output()}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Stops the replica with SIGTERM (requests in flight finish), SIGKILL after 30 s.</summary>
    public async Task Stop()
    {
        Process.Terminate();
        await Process.WaitForExit(TimeSpan.FromSeconds(30));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Process.DisposeAsync();
    }
}
