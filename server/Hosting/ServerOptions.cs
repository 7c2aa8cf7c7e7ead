using LatentEbm.Inference.Runtime;

namespace LatentEbm.Server.Hosting;

/// <summary>Settings of the inference service.</summary>
public sealed record ServerOptions
{
    /// <summary>Folder whose sub-folders are model bundles (each with a manifest.json); the folder name is the model id.</summary>
    public string ModelsFolder { get; init; } = "models";

    /// <summary>Addresses to listen on, e.g. <c>http://127.0.0.1:8080</c> (port 0 picks a free one).</summary>
    public string Urls { get; init; } = "http://127.0.0.1:8080";

    /// <summary>A file holding the API key that protects <c>/v1/*</c>; null = no key.</summary>
    public string? ApiKeyFile { get; init; }

    /// <summary>Execution provider and device for every bundle.</summary>
    public ExecutionOptions Execution { get; init; } = new();

    /// <summary>Largest request body, in bytes (larger: 413).</summary>
    public long MaxBodyBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Most samples one request may ask for.</summary>
    public int MaxSamples { get; init; } = 256;

    /// <summary>Most images in one request.</summary>
    public int MaxImages { get; init; } = 256;

    /// <summary>Requests admitted at once (they are then micro-batched); more wait in the queue.</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>How long a request waits for others to share its batch, in milliseconds; 0 = no micro-batching.</summary>
    public double BatchWaitMilliseconds { get; init; } = 2;

    /// <summary>Requests that may wait; beyond that: 429 with Retry-After.</summary>
    public int QueueLimit { get; init; } = 64;
}
