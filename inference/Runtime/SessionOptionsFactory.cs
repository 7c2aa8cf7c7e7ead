using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace LatentEbm.Inference.Runtime;

/// <summary>
/// Creates ONNX Runtime session options for an <see cref="ExecutionOptions"/>. Appending the CUDA
/// provider throws when the CUDA libraries cannot load ("Failed to load shared library"), even though
/// <c>GetAvailableProviders()</c> lists CUDA; <c>auto</c> then falls back to CPU and says why.
/// </summary>
public static class SessionOptionsFactory
{
    /// <summary>
    /// Decides the provider once (probing CUDA when asked) and returns a factory of matching options; each call makes new
    /// options that the caller disposes once its session is created (<see cref="OrtGraph.Load(string, Func{SessionOptions}?)"/> does).
    /// </summary>
    /// <exception cref="ExecutionProviderException"><c>cuda</c> was asked for and cannot load, or the device id is negative.</exception>
    public static (Func<SessionOptions> Create, ProviderChoice Choice) For(ExecutionOptions options, ILogger? logger = null)
    {
        if (options.DeviceId < 0) throw new ExecutionProviderException($"CUDA device id must be non-negative, got {options.DeviceId}");
        ProviderChoice choice;
        if (options.Provider == ExecutionProvider.Cpu)
        {
            choice = new ProviderChoice(ExecutionProvider.Cpu, "cpu requested");
        }
        else
        {
            string? error = ProbeCuda(options.DeviceId);
            if (error is null)
                choice = new ProviderChoice(ExecutionProvider.Cuda, $"CUDA device {options.DeviceId} loaded");
            else if (options.Provider == ExecutionProvider.Cuda)
                throw new ExecutionProviderException($"the CUDA execution provider cannot run on device {options.DeviceId}: {error}");
            else
                choice = new ProviderChoice(ExecutionProvider.Cpu, $"auto: CUDA unavailable ({error}); running on CPU");
        }
        logger?.LogInformation("ONNX Runtime execution provider: {Provider} ({Reason})", choice.Provider, choice.Reason);
        return (() => Create(choice.Provider, options), choice);
    }

    private static SessionOptions Create(ExecutionProvider provider, ExecutionOptions options)
    {
        var session = new SessionOptions { IntraOpNumThreads = options.IntraOpThreads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (provider == ExecutionProvider.Cuda)
        {
            try
            {
                using var cuda = new OrtCUDAProviderOptions();
                cuda.UpdateOptions(new Dictionary<string, string>
                {
                    ["device_id"] = options.DeviceId.ToString(),
                    ["use_tf32"] = options.AllowTf32 ? "1" : "0",
                });
                session.AppendExecutionProvider_CUDA(cuda);
            }
            catch
            {
                session.Dispose();
                throw;
            }
        }
        return session;
    }

    /// <summary>Null when the CUDA provider can be appended for <paramref name="deviceId"/>, else the error's first line.</summary>
    private static string? ProbeCuda(int deviceId)
    {
        // The native logger would print the library's load failure in red on every CPU-only host;
        // the reason is returned and logged here instead.
        var env = OrtEnv.Instance();
        var level = env.EnvLogLevel;
        env.EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
        try
        {
            using var probe = new SessionOptions();
            probe.AppendExecutionProvider_CUDA(deviceId);
            return null;
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
        {
            return e.Message.Split('\n')[0].Trim();
        }
        finally
        {
            env.EnvLogLevel = level;
        }
    }
}
