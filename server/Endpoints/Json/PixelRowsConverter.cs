using System.Text.Json;
using System.Text.Json.Serialization;
using LatentEbm.Server.Endpoints.Contracts;

namespace LatentEbm.Server.Endpoints.Json;

/// <summary>
/// Reads <c>images</c>, an array of rows of numbers, into <see cref="PixelRows"/>. A first pass over a copy of the reader
/// checks the shape (at most <paramref name="maxRows"/> rows, every row an array as long as the first, only numbers) and
/// counts; the second allocates exactly one <c>float[rows * length]</c> and fills it. So a body costs 4 bytes per number
/// beyond the bytes System.Text.Json buffers for the value, whatever its shape (a million one-number rows included), and a
/// malformed body is refused before anything is allocated for it. Numbers must be finite as floats (1e39 is not).
/// </summary>
/// <param name="maxRows">The most rows (images) a request may hold (<c>MaxImages</c>).</param>
public sealed class PixelRowsConverter(int maxRows) : JsonConverter<PixelRows>
{
    /// <inheritdoc />
    public override PixelRows Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new FieldValueException(FieldValueException.Describe(ref reader));
        var (rows, length) = Shape(reader);
        var values = new float[(long)rows * length];
        long i = 0;
        for (int r = 0; r < rows; r++)
        {
            reader.Read(); // [
            for (int c = 0; c < length; c++)
            {
                reader.Read();
                if (!reader.TryGetDouble(out double d) || !float.IsFinite((float)d))
                    throw new FieldValueException(FieldValueException.Describe(ref reader), $"[{r}][{c}]", "a finite number");
                values[i++] = (float)d;
            }
            reader.Read(); // ]
        }
        reader.Read(); // the closing ] of images
        return new PixelRows(values, rows, length);
    }

    /// <summary>Rows and row length, from a copy of the reader (the caller's stays at the opening '[').</summary>
    private (int Rows, int Length) Shape(Utf8JsonReader reader)
    {
        int rows = 0, length = -1;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (rows == maxRows)
                throw new FieldValueException($"more than {maxRows}", "", $"an array of 1..{maxRows} rows (images; the server's MaxImages)");
            if (reader.TokenType != JsonTokenType.StartArray)
                throw new FieldValueException(FieldValueException.Describe(ref reader), $"[{rows}]", "an array of numbers (one image, C*H*W values)");
            int count = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.Number)
                    throw new FieldValueException(FieldValueException.Describe(ref reader), $"[{rows}][{count}]", "a finite number");
                count++;
            }
            if (length >= 0 && count != length)
                throw new FieldValueException($"{count} values", $"[{rows}]", $"an array of {length} numbers, as images[0]");
            length = count;
            rows++;
        }
        return (rows, Math.Max(length, 0));
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, PixelRows value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        for (int r = 0; r < value.Rows; r++)
        {
            writer.WriteStartArray();
            foreach (float v in value.Values.AsSpan(r * value.RowLength, value.RowLength)) writer.WriteNumberValue(v);
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
    }
}
