using System.Security.Cryptography;
using System.Text;

namespace LatentEbm.Server.Hosting;

/// <summary>
/// Protects <c>/v1/*</c>, and <c>/metrics</c> when <paramref name="protectMetrics"/>, with an API key
/// (header <c>X-Api-Key</c> or <c>Authorization: Bearer</c>), compared in constant time (SHA-256 of both,
/// then <see cref="CryptographicOperations.FixedTimeEquals"/>).
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, byte[] keyHash, bool protectMetrics)
{
    /// <summary>Reads the key from <paramref name="path"/> (surrounding white space trimmed).</summary>
    /// <exception cref="InvalidOperationException">The file is missing or empty.</exception>
    public static byte[] HashKeyFile(string path)
    {
        if (!File.Exists(path)) throw new InvalidOperationException($"API key file not found: {path}");
        string key = File.ReadAllText(path).Trim();
        if (key.Length == 0) throw new InvalidOperationException($"API key file is empty: {path}");
        return SHA256.HashData(Encoding.UTF8.GetBytes(key));
    }

    /// <summary>Checks the key of requests under <c>/v1</c> (and <c>/metrics</c> when protected); others pass.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Path.StartsWithSegments("/v1") || protectMetrics && context.Request.Path.StartsWithSegments("/metrics"))
        {
            string? given = context.Request.Headers["X-Api-Key"].FirstOrDefault();
            if (string.IsNullOrEmpty(given)) given = null; // an empty header does not hide a Bearer token
            string? auth = context.Request.Headers.Authorization.FirstOrDefault();
            if (given is null && auth is not null && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) given = auth[7..].Trim();
            if (given is null || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), keyHash))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await Results.Problem(given is null ? "an API key is required (X-Api-Key header)" : "the API key is not valid",
                    statusCode: StatusCodes.Status401Unauthorized, title: "unauthorized").ExecuteAsync(context);
                return;
            }
        }
        await next(context);
    }
}
