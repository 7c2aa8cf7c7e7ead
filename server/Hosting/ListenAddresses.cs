using System.Text.RegularExpressions;

namespace LatentEbm.Server.Hosting;

/// <summary>The service's listen addresses (<c>--urls</c>, separated by ';').</summary>
public static partial class ListenAddresses
{
    /// <summary>
    /// Checks each address of <paramref name="urls"/>: an absolute http(s) URL with a port (a typo must not
    /// open the service on every interface); Kestrel's host wildcards <c>*</c> and <c>+</c> (every interface) are accepted.
    /// </summary>
    /// <returns>The addresses, as given, that are reachable beyond this machine: all but localhost, 127.0.0.0/8 and [::1].</returns>
    /// <exception cref="ArgumentException">A malformed address, named.</exception>
    public static IReadOnlyList<string> BeyondLoopback(string urls)
    {
        var open = new List<string>();
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string parsable = Wildcard().Replace(url, "${scheme}0.0.0.0:"); // Uri rejects Kestrel's wildcard hosts
            if (!Uri.TryCreate(parsable, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.IsDefaultPort && !parsable.Contains(":" + uri.Port))
                throw new ArgumentException($"'{url}' is not an http(s) address with a port, e.g. http://127.0.0.1:8080");
            if (!uri.IsLoopback) open.Add(url);
        }
        return open;
    }

    [GeneratedRegex(@"^(?<scheme>https?://)[*+]:")]
    private static partial Regex Wildcard();
}
