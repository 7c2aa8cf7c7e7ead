using System.Text.Json;
using System.Text.Json.Serialization;

namespace LatentEbm.Server.Endpoints.Json;

/// <summary>
/// Strict readers of the request bodies' scalars: a JSON integer that fits an <c>int</c> (no strings, no fractions,
/// nothing beyond [-2^31, 2^31 - 1]); otherwise a <see cref="FieldValueException"/> quoting the value.
/// </summary>
public sealed class StrictIntConverter : JsonConverter<int>
{
    /// <inheritdoc />
    public override int Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int value) ? value : throw new FieldValueException(FieldValueException.Describe(ref reader));

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, int value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

/// <summary>A JSON number that is finite as a double (1e400 is not; nor are strings such as "NaN").</summary>
public sealed class StrictDoubleConverter : JsonConverter<double>
{
    /// <inheritdoc />
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out double value) && double.IsFinite(value)
            ? value : throw new FieldValueException(FieldValueException.Describe(ref reader));

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}

/// <summary>JSON <c>true</c> or <c>false</c> (not "yes", not 1).</summary>
public sealed class StrictBoolConverter : JsonConverter<bool>
{
    /// <inheritdoc />
    public override bool Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw new FieldValueException(FieldValueException.Describe(ref reader)),
    };

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, bool value, JsonSerializerOptions options) => writer.WriteBooleanValue(value);
}

/// <summary>A JSON string (a number or an array where a sentence belongs is refused, not turned into text).</summary>
public sealed class StrictStringConverter : JsonConverter<string>
{
    /// <inheritdoc />
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new FieldValueException(FieldValueException.Describe(ref reader));

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
