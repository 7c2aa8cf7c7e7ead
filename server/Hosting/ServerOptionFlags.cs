using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using LatentEbm.Inference.Runtime;

namespace LatentEbm.Server.Hosting;

/// <summary>One command-line flag of the service and the <see cref="ServerOptions"/> property it sets.</summary>
/// <param name="Name">The flag, e.g. <c>--concurrency</c>.</param>
/// <param name="Property">The property of <see cref="ServerOptions"/> (its configuration key is <c>Server:</c> + it).</param>
/// <param name="Description">The <c>--help</c> text.</param>
public abstract record ServerOptionFlag(string Name, string Property, string Description)
{
    /// <summary>A new System.CommandLine option for the flag (no default: an absent flag leaves configuration's value).</summary>
    public abstract Option CreateOption();

    /// <summary>The <c>--help</c> text: <see cref="Description"/>, the range (the property's <see cref="RangeAttribute"/>) and the default.</summary>
    public string Help()
    {
        var property = typeof(ServerOptions).GetProperty(Property) ?? throw new InvalidOperationException($"ServerOptions has no property {Property}");
        string range = property.GetCustomAttribute<RangeAttribute>() is { } r ? $"; range {r.Minimum}..{r.Maximum}" : "";
        string? fallback = ServerOptions.Format(property.GetValue(new ServerOptions()));
        return $"{Description}{range}{(fallback is null or "false" ? "" : $" [default: {fallback.ToLowerInvariant()}]")} (config {ServerOptions.Key(Property)})";
    }

    /// <summary>The flag's value as configuration text when the command line gives it, else null.</summary>
    public abstract string? Given(ParseResult parse, Option option);
}

/// <summary>A flag whose value System.CommandLine parses as <typeparamref name="T"/> (a wrong type is a parse error naming the flag).</summary>
public sealed record ServerOptionFlag<T>(string Name, string Property, string Description) : ServerOptionFlag(Name, Property, Description)
{
    /// <inheritdoc />
    public override Option CreateOption() => new Option<T>(Name) { Description = Help() };

    /// <inheritdoc />
    public override string? Given(ParseResult parse, Option option) =>
        parse.GetResult(option) is { Implicit: false } ? ServerOptions.Format(parse.GetValue((Option<T>)option)) : null;
}

/// <summary>The command line of the service: one flag per <see cref="ServerOptions"/> property.</summary>
public static class ServerOptionFlags
{
    /// <summary>Every flag, in <c>--help</c> order.</summary>
    public static IReadOnlyList<ServerOptionFlag> All { get; } =
    [
        new ServerOptionFlag<string>("--models", nameof(ServerOptions.ModelsFolder), "Folder of model bundles (one sub-folder each)"),
        new ServerOptionFlag<string>("--urls", nameof(ServerOptions.Urls), "Listen address(es), ';'-separated"),
        new ServerOptionFlag<string>("--api-key-file", nameof(ServerOptions.ApiKeyFile), "File holding the API key that protects /v1/* (X-Api-Key or Authorization: Bearer)"),
        new ServerOptionFlag<bool>("--allow-anonymous", nameof(ServerOptions.AllowAnonymous), "Serve without an API key on an address beyond loopback (0.0.0.0, *, a LAN address); otherwise such a start is refused"),
        new ServerOptionFlag<bool>("--protect-metrics", nameof(ServerOptions.ProtectMetrics), "/metrics needs the API key too (needs --api-key-file)"),
        new ServerOptionFlag<ExecutionProvider>("--provider", nameof(ServerOptions.Provider), "auto (CUDA when it loads, else CPU), cpu or cuda"),
        new ServerOptionFlag<int>("--device-id", nameof(ServerOptions.DeviceId), "CUDA device index"),
        new ServerOptionFlag<int>("--intra-op-threads", nameof(ServerOptions.IntraOpThreads), "CPU threads per graph run; 0 lets ONNX Runtime choose"),
        new ServerOptionFlag<long>("--max-body-bytes", nameof(ServerOptions.MaxBodyBytes), "Largest request body in bytes (larger: 413)"),
        new ServerOptionFlag<int>("--max-samples", nameof(ServerOptions.MaxSamples), "Most samples one request may ask for"),
        new ServerOptionFlag<int>("--max-images", nameof(ServerOptions.MaxImages), "Most images in one request"),
        new ServerOptionFlag<int>("--max-sentences", nameof(ServerOptions.MaxSentences), "Most sentences in one request to a text model"),
        new ServerOptionFlag<int>("--concurrency", nameof(ServerOptions.Concurrency), "Requests computed at once"),
        new ServerOptionFlag<int>("--queue-limit", nameof(ServerOptions.QueueLimit), "Requests that may wait for a permit (beyond: 429 with Retry-After)"),
        new ServerOptionFlag<double>("--batch-wait-ms", nameof(ServerOptions.BatchWaitMilliseconds), "How long a request waits for others to share its micro-batch, in ms; 0 = no batching"),
        new ServerOptionFlag<long>("--max-request-bytes-in-flight", nameof(ServerOptions.MaxRequestBytesInFlight), "Budget of request body bytes in flight, all requests (beyond: 503 with Retry-After); at least --max-body-bytes; unset: 4 x --max-body-bytes"),
        new ServerOptionFlag<double>("--min-body-bytes-per-second", nameof(ServerOptions.MinRequestBodyBytesPerSecond), "Slowest a request body may arrive after a 5 s grace (slower: 408, connection closed)"),
        new ServerOptionFlag<int>("--max-queued-rows", nameof(ServerOptions.MaxQueuedRowsPerModel), "Budget of rows (images, samples, sentences) queued or running per model (beyond: 503 with Retry-After); at least the largest request"),
    ];

    /// <summary>The flag that sets <paramref name="property"/>, e.g. <c>--concurrency</c> for <c>Concurrency</c>.</summary>
    /// <exception cref="InvalidOperationException">No flag sets it (every option must have one).</exception>
    public static string FlagOf(string property) =>
        All.FirstOrDefault(f => f.Property == property)?.Name ?? throw new InvalidOperationException($"no command-line flag sets ServerOptions.{property}");
}
