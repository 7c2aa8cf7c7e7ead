using System.Text.Json;
using LatentEbm.Inference;
using LatentEbm.Inference.Bundles;
using LatentEbm.Server.Hosting;

namespace LatentEbm.Server.Endpoints;

/// <summary>Reads and checks JSON request bodies field by field, so every error names its field.</summary>
public static class RequestReader
{
    /// <summary>Parses the body as a JSON object.</summary>
    /// <exception cref="RequestValidationException">Not JSON, or not an object.</exception>
    /// <exception cref="BadHttpRequestException">The body exceeds the size limit (status 413).</exception>
    public static async Task<JsonElement> ReadObject(HttpRequest request, CancellationToken cancellation)
    {
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 8 }, cancellation);
        }
        catch (JsonException e)
        {
            throw new RequestValidationException("$", $"the body is not valid JSON: {e.Message}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new RequestValidationException("$", $"the body must be a JSON object, not {doc.RootElement.ValueKind}");
            return doc.RootElement.Clone();
        }
    }

    /// <summary>Refuses fields the endpoint does not know (a typo such as "sed" must not silently become seed 0).</summary>
    public static void Only(JsonElement body, params string[] known)
    {
        foreach (var property in body.EnumerateObject())
            if (!known.Contains(property.Name, StringComparer.Ordinal))
                throw new RequestValidationException(property.Name, $"unknown field '{property.Name}'; this endpoint takes {string.Join(", ", known)}");
    }

    /// <summary>An optional integer field in [min, max].</summary>
    public static int Int(JsonElement body, string name, int fallback, int min, int max)
    {
        if (!body.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return fallback;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int value))
            throw new RequestValidationException(name, $"{name} must be an integer");
        if (value < min || value > max)
            throw new RequestValidationException(name, $"{name} must be {min}..{max}, got {value}");
        return value;
    }

    /// <summary>An optional finite number field in [min, max]; the message names the range.</summary>
    public static double Number(JsonElement body, string name, double fallback, double min, double max)
    {
        if (!body.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return fallback;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out double value) || !double.IsFinite(value))
            throw new RequestValidationException(name, $"{name} must be a finite number in [{min}, {max}]");
        if (value < min || value > max)
            throw new RequestValidationException(name, $"{name} must lie in [{min}, {max}], got {value}");
        return value;
    }

    /// <summary>A required array of 1..<paramref name="maxSentences"/> strings (sentences, words separated by white space).</summary>
    /// <exception cref="RequestValidationException">Missing, not an array, of the wrong length, or holding a non-string (the field <c>sentences[i]</c> named).</exception>
    public static string[] Sentences(JsonElement body, string name, int maxSentences)
    {
        if (!body.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new RequestValidationException(name, $"{name} must be an array of sentences (strings, words separated by spaces)");
        int count = array.GetArrayLength();
        if (count < 1 || count > maxSentences)
            throw new RequestValidationException(name, $"{name} must hold 1..{maxSentences} sentences, got {count}");
        var sentences = new string[count];
        int i = 0;
        foreach (var e in array.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.String)
                throw new RequestValidationException($"{name}[{i}]", $"{name}[{i}] must be a string, not {e.ValueKind}");
            sentences[i++] = e.GetString()!;
        }
        return sentences;
    }

    /// <summary>
    /// Refuses the fields of the other kind of model with a message naming the model's kind, before <see cref="Only"/>:
    /// <c>images</c> or <c>decode</c> sent to a text model, <c>sentences</c> or <c>temperature</c> to an image model.
    /// </summary>
    /// <exception cref="RequestValidationException">Such a field; the message names the model, its kind and the fields the endpoint takes.</exception>
    public static void OfKind(JsonElement body, string modelId, bool text, params string[] known)
    {
        string[] other = text ? ["images", "decode"] : ["sentences", "temperature"];
        foreach (var property in body.EnumerateObject())
            if (other.Contains(property.Name, StringComparer.Ordinal))
                throw new RequestValidationException(property.Name,
                    $"model {modelId} is {(text ? "a text" : "an image")} model: '{property.Name}' is for {(text ? "image" : "text")} models; this endpoint takes {string.Join(", ", known)}");
        Only(body, known);
    }

    /// <summary>An optional boolean field.</summary>
    public static bool Bool(JsonElement body, string name, bool fallback)
    {
        if (!body.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return fallback;
        return e.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new RequestValidationException(name, $"{name} must be true or false"),
        };
    }

    /// <summary>The values the <c>start</c> query parameter of the posterior endpoints takes.</summary>
    public static readonly IReadOnlyList<string> StartValues = ["encoder", "noise"];

    /// <summary>
    /// Where the posterior chain of <c>/latents</c>, <c>/reconstructions</c> and <c>/scores</c> starts: the query parameter
    /// <c>start</c>, <c>encoder</c> (the encoder's mean mu(x), then the bundle's <c>score.encoder_steps</c> refinement steps;
    /// PAPER.md, "Amortised posterior") or <c>noise</c> (z0 ~ N(0, sigma0² I), then <c>score.steps</c> steps, the paper's
    /// chain); absent, the encoder when the model has one, else noise.
    /// </summary>
    /// <exception cref="RequestValidationException">
    /// (field <c>start</c>) Another value, the parameter given twice, or <c>encoder</c> for a model without an encoder.
    /// </exception>
    public static PosteriorStartMode Start(HttpRequest request, string modelId, LatentEbmInference model)
    {
        if (!request.Query.TryGetValue("start", out var values)) return model.ResolveStart(PosteriorStartMode.Auto);
        if (values.Count != 1)
            throw new RequestValidationException("start", "start is given more than once; give it once");
        string value = values[0] ?? "";
        if (!StartValues.Contains(value, StringComparer.Ordinal))
            throw new RequestValidationException("start", $"start must be {string.Join(" or ", StartValues)} (or left out: the encoder when the model has one), got '{value}'");
        if (value == "encoder" && !model.HasEncoder)
            throw new RequestValidationException("start", $"model {modelId} has no encoder (its manifest's model.posterior_start is {model.Manifest.Model.PosteriorStart}): its posterior chains start from noise; leave start out or give start=noise");
        return value == "encoder" ? PosteriorStartMode.Encoder : PosteriorStartMode.Noise;
    }

    /// <summary>
    /// A required array of rows, each an array of exactly <paramref name="rowSize"/> numbers that
    /// <paramref name="model"/> accepts as pixels (<see cref="BundleModel.AcceptsPixel"/>), flattened row-major.
    /// </summary>
    public static (float[] Values, int Rows) Rows(JsonElement body, string name, int rowSize, int maxRows, BundleModel model)
    {
        if (!body.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new RequestValidationException(name, $"{name} must be an array of rows of {rowSize} numbers");
        int rows = array.GetArrayLength();
        if (rows < 1 || rows > maxRows)
            throw new RequestValidationException(name, $"{name} must hold 1..{maxRows} rows, got {rows}");
        var values = new float[(long)rows * rowSize];
        int r = 0;
        foreach (var row in array.EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() != rowSize)
                throw new RequestValidationException($"{name}[{r}]", $"{name}[{r}] must be an array of {rowSize} numbers, got {(row.ValueKind == JsonValueKind.Array ? row.GetArrayLength() + " values" : row.ValueKind.ToString())}");
            int c = 0;
            foreach (var v in row.EnumerateArray())
            {
                if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !float.IsFinite((float)d))
                    throw new RequestValidationException($"{name}[{r}][{c}]", $"{name}[{r}][{c}] must be a finite number");
                if (!model.AcceptsPixel(d))
                    throw new RequestValidationException($"{name}[{r}][{c}]", $"{name}[{r}][{c}] is {d}, outside the model's pixel range [{model.PixelRange[0]}, {model.PixelRange[1]}]");
                values[(long)r * rowSize + c++] = (float)d;
            }
            r++;
        }
        return (values, rows);
    }
}
