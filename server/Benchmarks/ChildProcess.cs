using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace LatentEbm.Server.Benchmarks;

/// <summary>
/// A child process of a benchmark (a service replica, nginx): started with its output kept (the last 200 lines, for
/// error messages), signalled by process id, and killed when disposed if still running. Linux only (signals, /proc).
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int SigKill = 9, SigTerm = 15, SigQuit = 3;
    private readonly Process process;
    private readonly Queue<string> output = new();

    private ChildProcess(Process process) => this.process = process;

    /// <summary>Process id.</summary>
    public int Pid => process.Id;

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => process.HasExited;

    /// <summary>Starts <paramref name="command"/> (file name, then arguments; no shell).</summary>
    public static ChildProcess Start(IReadOnlyList<string> command)
    {
        var info = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command.Skip(1)) info.ArgumentList.Add(argument);
        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>A loopback TCP port that was free a moment ago (bound to port 0, then released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The last lines the process wrote (stdout and stderr).</summary>
    public string Output()
    {
        lock (output) return string.Join('\n', output);
    }

    /// <summary>SIGKILL: the process ends at once, connections in flight are reset.</summary>
    public void Kill() => Signal(SigKill);

    /// <summary>SIGTERM: a graceful stop (the service finishes requests in flight; nginx stops fast).</summary>
    public void Terminate() => Signal(SigTerm);

    /// <summary>SIGQUIT: nginx's graceful stop (workers finish their requests).</summary>
    public void Quit() => Signal(SigQuit);

    /// <summary>Waits for the process to end, at most <paramref name="timeout"/>; then SIGKILL.</summary>
    public async Task<int> WaitForExit(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            await process.WaitForExitAsync();
        }
        return process.ExitCode;
    }

    /// <summary>Resident memory of the process from <c>/proc/PID/status</c>: VmRSS (now) and VmHWM (peak), in MiB.</summary>
    public (double ResidentMiB, double PeakResidentMiB) Memory()
    {
        double rss = double.NaN, hwm = double.NaN;
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kib(line) / 1024.0;
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kib(line) / 1024.0;
        }
        return (rss, hwm);
        static double Kib(string line) => double.Parse(line.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// CPU time the process has used so far (user + system, all its threads), in seconds, from <c>/proc/PID/stat</c>
    /// (fields 14 and 15, in clock ticks of 1/100 s: USER_HZ is 100 on Linux).
    /// </summary>
    public double CpuSeconds()
    {
        string stat = File.ReadAllText($"/proc/{Pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // after "pid (comm) ": field 3 is fields[0]
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            Kill();
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }

    private void Signal(int signal)
    {
        if (process.HasExited) return;
        if (SendSignal(process.Id, signal) != 0 && !process.HasExited)
            throw new InvalidOperationException($"kill({process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (output)
        {
            output.Enqueue(line);
            if (output.Count > 200) output.Dequeue();
        }
    }

    [DllImport("libc.so.6", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
