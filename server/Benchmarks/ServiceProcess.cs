using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace LatentEbm.Server.Benchmarks;

/// <summary>
/// The service as a child process on loopback, for benchmarks that measure the server apart from its clients (resident
/// memory) or kill it (replicas): <c>latent-ebm serve</c> started from the running <c>latent-ebm</c> executable, on a free
/// port, ready once <c>/readyz</c> answers 200. Disposing kills it.
/// </summary>
public sealed class ServiceProcess : IDisposable
{
    private readonly Process process;

    private ServiceProcess(Process process, Uri address)
    {
        this.process = process;
        Address = address;
    }

    /// <summary>The service's base address, <c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri Address { get; }

    /// <summary>The child's process id.</summary>
    public int Id => process.Id;

    /// <summary>Whether the child has exited.</summary>
    public bool HasExited => process.HasExited;

    /// <summary>
    /// Starts <c>serve --models <paramref name="modelsFolder"/> --urls http://127.0.0.1:PORT</c> plus <paramref name="arguments"/>
    /// with the executable that runs this process (the <c>latent-ebm</c> CLI) and waits until <c>/readyz</c> answers 200.
    /// </summary>
    /// <exception cref="InvalidOperationException">The child exited, or was not ready within <paramref name="timeout"/>; the message holds its output.</exception>
    public static async Task<ServiceProcess> Start(string modelsFolder, IEnumerable<string> arguments, TimeSpan timeout, int? port = null)
    {
        int p = port ?? FreePort();
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Run through `dotnet latent-ebm.dll` or the apphost `latent-ebm`: either way the same CLI, with `serve`.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            start.ArgumentList.Add(System.Reflection.Assembly.GetEntryAssembly()!.Location);
        foreach (string a in (string[])["serve", "--models", modelsFolder, "--urls", $"http://127.0.0.1:{p}", .. arguments]) start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceProcess(process, new Uri($"http://127.0.0.1:{p}/"));
        using var client = new HttpClient { BaseAddress = service.Address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"the service exited with code {process.ExitCode}: {output}");
            try
            {
                using var ready = await client.GetAsync("readyz");
                if (ready.StatusCode == HttpStatusCode.OK) return service;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        service.Dispose();
        throw new InvalidOperationException($"the service was not ready within {timeout.TotalSeconds} s: {output}");
    }

    /// <summary>A <c>/proc/PID/status</c> field in kB (VmRSS: resident now; VmHWM: peak resident), as bytes.</summary>
    /// <exception cref="InvalidOperationException">No such field (not Linux, or the process is gone).</exception>
    public long StatusBytes(string field)
    {
        foreach (string line in File.ReadLines($"/proc/{process.Id}/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException($"/proc/{process.Id}/status has no {field}");
    }

    /// <summary>Resident memory now, in bytes.</summary>
    public long ResidentBytes => StatusBytes("VmRSS");

    /// <summary>Peak resident memory since the process started, in bytes.</summary>
    public long PeakResidentBytes => StatusBytes("VmHWM");

    /// <summary>Ends the child at once (SIGKILL), as a crash would.</summary>
    public void Kill()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Kill();
        process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
