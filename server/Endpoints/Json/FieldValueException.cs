using System.Text.Json;

namespace LatentEbm.Server.Endpoints.Json;

/// <summary>
/// A JSON value of the wrong type or out of range, thrown by the request converters. System.Text.Json fills in
/// <see cref="JsonException.Path"/> (the property being read); <see cref="RequestJson"/> turns it into a 400 naming the
/// field, <c>Path</c> + <see cref="SubPath"/>, with the field's expectation and what was given.
/// </summary>
/// <param name="got">The value given, as short JSON text (<see cref="Describe"/>); null when not worth quoting.</param>
/// <param name="subPath">Where inside the property, e.g. <c>[3][17]</c> for a pixel of <c>images</c>; empty for the property itself.</param>
/// <param name="expectation">What the value must be, when more precise than the field's general rule (<see cref="RequestJson.Expectation"/>).</param>
public sealed class FieldValueException(string? got, string subPath = "", string? expectation = null) : JsonException(expectation ?? "invalid value")
{
    /// <summary>The value given, as short JSON text, or null.</summary>
    public string? Got { get; } = got;

    /// <summary>The position inside the property read, e.g. <c>[3][17]</c>.</summary>
    public string SubPath { get; } = subPath;

    /// <summary>What the value must be, when the converter knows better than the field's rule; else null.</summary>
    public string? Expectation { get; } = expectation;

    /// <summary>The current token, for a message: numbers and literals as written (cut at 40 characters), strings quoted, containers named.</summary>
    public static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.String => String(ref reader),
        _ => Cut(System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan)),
    };

    private static string String(ref Utf8JsonReader reader)
    {
        try
        {
            return Cut("\"" + reader.GetString() + "\"");
        }
        catch (InvalidOperationException)
        {
            return "a string that is not valid UTF-8";
        }
    }

    private static string Cut(string text) => text.Length <= 40 ? text : text[..37] + "...";
}
