using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using LatentEbm.Server.Hosting;

namespace LatentEbm.Server.Endpoints.Json;

/// <summary>
/// Reads JSON request bodies straight from the body stream into their request types (System.Text.Json,
/// <c>DeserializeAsync</c>): snake_case names, unknown and repeated fields refused, at most <see cref="MaxDepth"/> levels
/// of nesting, strict scalars (<see cref="StrictIntConverter"/> and its siblings) and <see cref="PixelRowsConverter"/>
/// for images. Every failure becomes a <see cref="RequestValidationException"/> naming the field (the exception's JSON
/// path, e.g. <c>images[2][17]</c>) and saying what the field must be, with the value given.
/// </summary>
public sealed partial class RequestJson
{
    /// <summary>The deepest nesting a body may have (images are 3 levels deep).</summary>
    public const int MaxDepth = 8;

    private readonly JsonSerializerOptions json;
    private readonly Dictionary<string, string> expectations;

    /// <summary>Creates the reader for the limits of <paramref name="options"/> (<c>MaxSamples</c>, <c>MaxImages</c>, <c>MaxSentences</c>).</summary>
    public RequestJson(ServerOptions options)
    {
        json = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            AllowDuplicateProperties = false,
            MaxDepth = MaxDepth,
            TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
            Converters = { new StrictIntConverter(), new StrictDoubleConverter(), new StrictBoolConverter(), new StrictStringConverter(), new PixelRowsConverter(options.MaxImages) },
        };
        expectations = new(StringComparer.Ordinal)
        {
            ["$"] = "a JSON object",
            ["count"] = $"an integer in [1, {options.MaxSamples}]",
            ["seed"] = SeedRange,
            ["decode"] = "true or false",
            ["temperature"] = $"a finite number in [0, {Inference.Text.TextLatentEbmInference.MaxTemperature}]",
            ["images"] = $"an array of 1..{options.MaxImages} rows (images) of numbers",
            ["images[]"] = "an array of numbers (one image, C*H*W values)",
            ["images[][]"] = "a finite number",
            ["sentences"] = $"an array of 1..{options.MaxSentences} sentences (strings)",
            ["sentences[]"] = "a string (a sentence, words separated by spaces)",
        };
    }

    /// <summary>What a seed must be.</summary>
    public const string SeedRange = "an integer in [-2147483648, 2147483647]";

    /// <summary>What <paramref name="field"/> (e.g. <c>images[3]</c>) must be, for messages.</summary>
    public string Expectation(string field) => expectations.GetValueOrDefault(Index().Replace(field, "[]"), "valid");

    /// <summary>
    /// Reads the body as a <typeparamref name="T"/>. <paramref name="known"/> lists the fields of the model's kind on this
    /// route, for the message about an unknown field.
    /// </summary>
    /// <exception cref="RequestValidationException">Not JSON, too deep, not an object, an unknown or repeated field, a value of the wrong type (the field named).</exception>
    /// <exception cref="BadHttpRequestException">The body exceeds the size limit (status 413) or the connection failed.</exception>
    public async Task<T> Read<T>(HttpRequest request, IReadOnlyList<string> known, CancellationToken cancellation) where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(request.Body, json, cancellation)
                ?? throw new RequestValidationException("$", "the body must be a JSON object, not null");
        }
        catch (FieldValueException e)
        {
            string field = Field(e.Path) + e.SubPath;
            throw new RequestValidationException(field, $"{field} must be {e.Expectation ?? Expectation(field)}{(e.Got is null ? "" : $", got {e.Got}")}");
        }
        catch (JsonException e)
        {
            string field = Field(e.Path);
            if (e.InnerException is JsonException) // the reader's: not JSON at all, or nested too deep
                throw new RequestValidationException(field, $"the body is not valid JSON (or nests deeper than {MaxDepth} levels): {e.Message}");
            if (e.Message.StartsWith("Duplicate property", StringComparison.Ordinal))
                throw new RequestValidationException(field, $"the body gives {field} twice; give it once");
            string property = field.Split('[')[0];
            if (field != "$" && !json.GetTypeInfo(typeof(T)).Properties.Any(p => p.Name == property))
                throw new RequestValidationException(field, $"unknown field '{field}'; this endpoint takes {string.Join(", ", known)}");
            throw new RequestValidationException(field, $"{(field == "$" ? "the body" : field)} must be {Expectation(field)}");
        }
    }

    /// <summary>A JSON path as a field name: <c>$.images[2]</c> becomes <c>images[2]</c>, the root stays <c>$</c>.</summary>
    private static string Field(string? path) => path is null or "$" ? "$" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;

    [GeneratedRegex(@"\[\d+\]")]
    private static partial Regex Index();
}
