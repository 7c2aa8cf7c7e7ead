using System.ComponentModel.DataAnnotations;
using System.Globalization;
using LatentEbm.Inference;
using LatentEbm.Inference.Runtime;

namespace LatentEbm.Server.Hosting;

/// <summary>
/// Settings of the inference service, one options type for <c>latent-ebm-server</c> and <c>latent-ebm serve</c>.
/// Bound from the configuration section <see cref="Section"/> (keys = property names: <c>appsettings.json</c>,
/// environment variables such as <c>Server__Concurrency=8</c>, the host's other sources), then from the command line
/// (<see cref="ServerOptionFlags"/>, which override configuration), checked at start by <see cref="ServerOptionsValidator"/>:
/// the ranges below (<see cref="RangeAttribute"/>) and the cross-field rules. Adding an option = one property with its
/// attributes here + one line in <see cref="ServerOptionFlags.All"/>.
/// </summary>
public sealed record ServerOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string Section = "Server";

    /// <summary>Folder whose sub-folders are model bundles (each with a manifest.json); the folder name is the model id.</summary>
    [Required]
    public string ModelsFolder { get; init; } = "models";

    /// <summary>Addresses to listen on, ';'-separated, e.g. <c>http://127.0.0.1:8080</c> (port 0 picks a free one).</summary>
    [Required]
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

    /// <summary>ONNX Runtime execution provider for every bundle: auto (CUDA when it loads, else CPU), cpu or cuda.</summary>
    [EnumDataType(typeof(ExecutionProvider))]
    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Auto;

    /// <summary>CUDA device index.</summary>
    [Range(0, 255)]
    public int DeviceId { get; init; }

    /// <summary>CPU threads per graph run; 0 lets ONNX Runtime choose.</summary>
    [Range(0, 1024)]
    public int IntraOpThreads { get; init; }

    /// <summary>Largest request body, in bytes (larger: 413); at most 1 GiB.</summary>
    [Range(1L, 1L << 30)]
    public long MaxBodyBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Most samples one request may ask for (a batch holds at most <see cref="LatentEbmInference.MaxBatch"/> rows).</summary>
    [Range(1, LatentEbmInference.MaxBatch)]
    public int MaxSamples { get; init; } = 256;

    /// <summary>Most images in one request.</summary>
    [Range(1, LatentEbmInference.MaxBatch)]
    public int MaxImages { get; init; } = 256;

    /// <summary>Most sentences in one request to a text model.</summary>
    [Range(1, LatentEbmInference.MaxBatch)]
    public int MaxSentences { get; init; } = 256;

    /// <summary>Requests computed at once (they are then micro-batched); more wait in the queue.</summary>
    [Range(1, 4096)]
    public int Concurrency { get; init; } = 64;

    /// <summary>Requests that may wait for a <see cref="Concurrency"/> permit; beyond that: 429 with Retry-After. 0 = none wait.</summary>
    [Range(0, 65536)]
    public int QueueLimit { get; init; } = 64;

    /// <summary>
    /// Budget of request body bytes in flight across all requests (<see cref="RequestBodyBudget"/>): a body's bytes are
    /// reserved as they are read (a body whose Content-Length does not fit is refused before it is read); over the
    /// budget: 503 with Retry-After. At least <see cref="MaxBodyBytes"/> (checked at start). Unset: 4 x <see cref="MaxBodyBytes"/>
    /// (<see cref="RequestBytesInFlight"/>; 64 MiB at the default body limit).
    /// </summary>
    [Range(1L, 1L << 40)]
    public long? MaxRequestBytesInFlight { get; init; }

    /// <summary>The budget of request body bytes in flight: <see cref="MaxRequestBytesInFlight"/>, or 4 x <see cref="MaxBodyBytes"/> when unset.</summary>
    public long RequestBytesInFlight => MaxRequestBytesInFlight ?? 4 * MaxBodyBytes;

    /// <summary>
    /// Slowest a request body may arrive, in bytes per second averaged from its start, after a 5 s grace period (Kestrel's
    /// <c>MinRequestBodyDataRate</c>); slower: 408 and the connection closed, so a stalled upload neither holds its bytes of
    /// <see cref="MaxRequestBytesInFlight"/> nor a connection for long. Default 64 KiB/s (Kestrel's own is 240 B/s).
    /// </summary>
    [Range(1.0, 1073741824.0)]
    public double MinRequestBodyBytesPerSecond { get; init; } = 64 * 1024;

    /// <summary>
    /// Budget of rows (images, samples, sentences) queued or running per model: a request whose rows it cannot hold gets 503
    /// with Retry-After at once rather than waiting in memory. At least the largest request (<see cref="MaxImages"/>,
    /// <see cref="MaxSamples"/>, <see cref="MaxSentences"/>; checked at start). Default 4096.
    /// </summary>
    [Range(1, 1 << 24)]
    public int MaxQueuedRowsPerModel { get; init; } = 4096;

    /// <summary>How long a request waits for others to share its batch, in milliseconds (at most 1 s); 0 = no micro-batching.</summary>
    [Range(0.0, 1000.0)]
    public double BatchWaitMilliseconds { get; init; } = 2;

    /// <summary>Execution provider, device and threads for every bundle (from <see cref="Provider"/>, <see cref="DeviceId"/>, <see cref="IntraOpThreads"/>).</summary>
    public ExecutionOptions Execution => new(Provider, DeviceId, IntraOpThreads);

    /// <summary>
    /// These settings as configuration keys (<c>Server:Concurrency</c> = <c>"64"</c>, invariant culture), every option
    /// present (an unset one with a null value, which hides the same key from earlier sources): added as the last
    /// configuration source, they are exactly what binding gives back.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string?>> ToConfiguration() =>
        Bindable().Select(p => KeyValuePair.Create(Key(p.Name), Format(p.GetValue(this))));

    /// <summary>The configuration key of the option <paramref name="property"/> (a property name), e.g. <c>Server:Concurrency</c>.</summary>
    public static string Key(string property) => $"{Section}:{property}";

    /// <summary>A value as configuration text (invariant culture; booleans <c>true</c>/<c>false</c>; enums by name).</summary>
    public static string? Format(object? value) => value switch
    {
        null => null,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>The options: the public settable properties.</summary>
    internal static IEnumerable<System.Reflection.PropertyInfo> Bindable() =>
        typeof(ServerOptions).GetProperties().Where(p => p.SetMethod is { IsPublic: true });
}
