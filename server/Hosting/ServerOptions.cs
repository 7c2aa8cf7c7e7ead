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

    /// <summary>
    /// Serve without an API key on an address beyond loopback (<c>0.0.0.0</c>, <c>*</c>, a LAN address);
    /// without it such a start is refused. Loopback (localhost, 127.0.0.0/8, [::1]) needs no key either way.
    /// </summary>
    public bool AllowAnonymous { get; init; }

    /// <summary><c>/metrics</c> needs the API key too (the same check as <c>/v1/*</c>); needs <see cref="ApiKeyFile"/>.</summary>
    public bool ProtectMetrics { get; init; }

    /// <summary>Execution provider and device for every bundle.</summary>
    public ExecutionOptions Execution { get; init; } = new();

    /// <summary>Largest request body, in bytes (larger: 413).</summary>
    public long MaxBodyBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Most samples one request may ask for.</summary>
    public int MaxSamples { get; init; } = 256;

    /// <summary>Most images in one request.</summary>
    public int MaxImages { get; init; } = 256;

    /// <summary>Most sentences in one request to a text model.</summary>
    public int MaxSentences { get; init; } = 256;

    /// <summary>Requests admitted at once (they are then micro-batched); more wait in the queue.</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>How long a request waits for others to share its batch, in milliseconds; 0 = no micro-batching.</summary>
    public double BatchWaitMilliseconds { get; init; } = 2;

    /// <summary>Requests that may wait; beyond that: 429 with Retry-After.</summary>
    public int QueueLimit { get; init; } = 64;

    /// <summary>
    /// Budget of request body bytes in flight across all requests (<see cref="RequestBodyBudget"/>): a request reserves its
    /// Content-Length (a chunked body: <see cref="MaxBodyBytes"/>) while it is handled; over the budget: 503 with Retry-After.
    /// At least <see cref="MaxBodyBytes"/>. Default 64 MiB.
    /// </summary>
    public long MaxRequestBytesInFlight { get; init; } = 64 * 1024 * 1024;

    /// <summary>
    /// Budget of rows (images, samples, sentences) queued or running per model: a request whose rows it cannot hold gets 503
    /// with Retry-After at once rather than waiting in memory. At least the largest request (<see cref="MaxImages"/>,
    /// <see cref="MaxSamples"/>, <see cref="MaxSentences"/>). Default 4096.
    /// </summary>
    public int MaxQueuedRowsPerModel { get; init; } = 4096;

    /// <summary>Checks the settings before anything loads or listens.</summary>
    /// <exception cref="ArgumentException">
    /// A malformed address; an address beyond loopback with no <see cref="ApiKeyFile"/> and no
    /// <see cref="AllowAnonymous"/>; <see cref="ProtectMetrics"/> without <see cref="ApiKeyFile"/>. The message names the option.
    /// </exception>
    public void Validate()
    {
        var open = ListenAddresses.BeyondLoopback(Urls);
        if (ApiKeyFile is null && !AllowAnonymous && open.Count > 0)
            throw new ArgumentException($"--urls: {open[0]} is reachable beyond this machine and no --api-key-file protects /v1/*: " +
                "give --api-key-file, or --allow-anonymous to serve anyone who can reach it");
        if (ProtectMetrics && ApiKeyFile is null)
            throw new ArgumentException("--protect-metrics needs --api-key-file (the key that /metrics is to check)");
        int largest = Math.Max(MaxImages, Math.Max(MaxSamples, MaxSentences));
        if (MaxQueuedRowsPerModel < largest)
            throw new ArgumentException($"--max-queued-rows ({MaxQueuedRowsPerModel}) must be at least the largest request ({largest} rows: --max-images, --max-samples, --max-sentences), or such a request could never be taken");
        if (MaxRequestBytesInFlight < MaxBodyBytes)
            throw new ArgumentException($"--max-request-bytes-in-flight ({MaxRequestBytesInFlight}) must be at least --max-body-bytes ({MaxBodyBytes}), or a largest body could never be taken");
    }
}
