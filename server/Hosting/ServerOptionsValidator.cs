using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace LatentEbm.Server.Hosting;

/// <summary>
/// Checks <see cref="ServerOptions"/> at start, before any bundle loads or any address is bound: every property's
/// DataAnnotations attributes (<see cref="RangeAttribute"/>, <see cref="RequiredAttribute"/>, <see cref="EnumDataTypeAttribute"/>)
/// and the cross-field rules: well-formed <see cref="ServerOptions.Urls"/>; an address beyond loopback needs
/// <see cref="ServerOptions.ApiKeyFile"/> or <see cref="ServerOptions.AllowAnonymous"/>; <see cref="ServerOptions.ProtectMetrics"/>
/// needs <see cref="ServerOptions.ApiKeyFile"/>; the budgets hold the largest request (<see cref="ServerOptions.MaxRequestBytesInFlight"/> at
/// least <see cref="ServerOptions.MaxBodyBytes"/>, <see cref="ServerOptions.MaxQueuedRowsPerModel"/> at least the largest row limit). Each failure names the option by its configuration key and its flag,
/// e.g. <c>Server:Concurrency (--concurrency) must be 1..4096, got 0</c>.
/// </summary>
public sealed class ServerOptionsValidator : IValidateOptions<ServerOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ServerOptions options)
    {
        var failures = new List<string>();
        foreach (var property in ServerOptions.Bindable())
        {
            object? value = property.GetValue(options);
            foreach (var attribute in property.GetCustomAttributes<ValidationAttribute>())
                if (!attribute.IsValid(value))
                    failures.Add($"{Name(property.Name)} {Rule(attribute)}, got {Shown(value)}");
        }
        CrossField(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The option as <c>Server:Key (--flag)</c>.</summary>
    public static string Name(string property) => $"{ServerOptions.Key(property)} ({ServerOptionFlags.FlagOf(property)})";

    private static void CrossField(ServerOptions options, List<string> failures)
    {
        string urls = Name(nameof(ServerOptions.Urls));
        try
        {
            var open = ListenAddresses.BeyondLoopback(options.Urls ?? ""); // null or empty: refused by [Required]
            if (options.ApiKeyFile is null && !options.AllowAnonymous && open.Count > 0)
                failures.Add($"{urls}: {open[0]} is reachable beyond this machine and no {Name(nameof(ServerOptions.ApiKeyFile))} protects /v1/*: " +
                    $"give an API key file, or {Name(nameof(ServerOptions.AllowAnonymous))} to serve anyone who can reach it");
        }
        catch (ArgumentException e)
        {
            failures.Add($"{urls}: {e.Message}");
        }
        if (options.ProtectMetrics && options.ApiKeyFile is null)
            failures.Add($"{Name(nameof(ServerOptions.ProtectMetrics))} needs {Name(nameof(ServerOptions.ApiKeyFile))} (the key that /metrics is to check)");
        // The budgets against the limits they must hold, once those limits are themselves in range.
        if (options.MaxRequestBytesInFlight < options.MaxBodyBytes && Valid(options, nameof(ServerOptions.MaxBodyBytes)))
            failures.Add($"{Name(nameof(ServerOptions.MaxRequestBytesInFlight))} must be at least {Name(nameof(ServerOptions.MaxBodyBytes))}, {options.MaxBodyBytes}, " +
                $"or a largest body could never be taken; got {options.MaxRequestBytesInFlight}");
        string[] rowLimits = [nameof(ServerOptions.MaxImages), nameof(ServerOptions.MaxSamples), nameof(ServerOptions.MaxSentences)];
        int largest = Math.Max(options.MaxImages, Math.Max(options.MaxSamples, options.MaxSentences));
        if (options.MaxQueuedRowsPerModel < largest && rowLimits.All(limit => Valid(options, limit)))
            failures.Add($"{Name(nameof(ServerOptions.MaxQueuedRowsPerModel))} must be at least the largest request, {largest} rows " +
                $"({string.Join(", ", rowLimits.Select(Name))}), or such a request could never be taken; got {options.MaxQueuedRowsPerModel}");
    }

    /// <summary>Whether the option <paramref name="property"/> passes its own attributes.</summary>
    private static bool Valid(ServerOptions options, string property)
    {
        var info = typeof(ServerOptions).GetProperty(property)!;
        return info.GetCustomAttributes<ValidationAttribute>().All(a => a.IsValid(info.GetValue(options)));
    }

    private static string Rule(ValidationAttribute attribute) => attribute switch
    {
        RangeAttribute r => $"must be {r.Minimum}..{r.Maximum}",
        RequiredAttribute => "must be given (not empty)",
        EnumDataTypeAttribute e => $"must be one of {string.Join(", ", Enum.GetNames(e.EnumType).Select(n => n.ToLowerInvariant()))}",
        _ => attribute.FormatErrorMessage("the value"),
    };

    private static string Shown(object? value) => value switch
    {
        null => "nothing",
        string s => $"'{s}'",
        _ => ServerOptions.Format(value)!,
    };
}
