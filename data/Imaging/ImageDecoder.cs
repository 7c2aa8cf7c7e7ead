using LatentEbm.Data.Sources;
using SkiaSharp;

namespace LatentEbm.Data.Imaging;

/// <summary>
/// Decodes PNG and JPEG files (SkiaSharp) into pixels <c>[C, H, W]</c> on [-1, 1] (x / 127.5 - 1),
/// RGB for C = 3 and luminance for C = 1: the image is scaled so that its shorter side fits, then
/// centre-cropped to H x W (the usual CelebA-64 preparation).
/// </summary>
public static class ImageDecoder
{
    /// <summary>Decodes <paramref name="bytes"/> (a PNG or JPEG file) into <paramref name="destination"/>.</summary>
    /// <param name="name">The file's name or path, for messages.</param>
    /// <param name="bytes">The encoded file.</param>
    /// <param name="channels">1 (grey) or 3 (RGB).</param>
    /// <param name="height">Output height H.</param>
    /// <param name="width">Output width W.</param>
    /// <param name="destination">C·H·W values, channel-major.</param>
    /// <exception cref="DataFormatException">Not a PNG or JPEG image, or truncated or corrupt.</exception>
    /// <exception cref="ArgumentException">channels is not 1 or 3, or the destination has the wrong length.</exception>
    public static void Decode(string name, byte[] bytes, int channels, int height, int width, Span<float> destination)
    {
        if (channels is not (1 or 3)) throw new ArgumentException($"images have 1 or 3 channels, got {channels}");
        if (destination.Length != channels * height * width)
            throw new ArgumentException($"destination holds {destination.Length} values, not [{channels}, {height}, {width}]");
        using var bitmap = DecodeRgba(name, bytes);
        using var fitted = Fit(bitmap, height, width);
        ToPlanes(fitted.GetPixelSpan(), fitted.RowBytes, bgra: false, channels, height, width, destination);
    }

    /// <summary>
    /// Converts 8-bit pixels with 4 bytes each (RGBA, or BGRA when <paramref name="bgra"/>; alpha ignored) in rows of
    /// <paramref name="rowBytes"/> bytes into <c>[C, H, W]</c> on [-1, 1], the rule of <see cref="Decode"/>: a byte k
    /// becomes k / 127.5 - 1; C = 3 gives R, G, B planes, C = 1 the luminance (ITU-R BT.601; a grey pixel exactly k / 127.5 - 1).
    /// </summary>
    /// <param name="pixels">At least (H - 1) · rowBytes + 4 W bytes.</param>
    /// <param name="rowBytes">Bytes from one row's start to the next (at least 4 W).</param>
    /// <param name="bgra">Whether the bytes of a pixel are B, G, R, A rather than R, G, B, A.</param>
    /// <param name="channels">1 (grey) or 3 (RGB).</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="destination">C·H·W values, channel-major.</param>
    /// <exception cref="ArgumentException">channels is not 1 or 3, or a buffer has the wrong length.</exception>
    public static void ToPlanes(ReadOnlySpan<byte> pixels, int rowBytes, bool bgra, int channels, int height, int width, Span<float> destination)
    {
        if (channels is not (1 or 3)) throw new ArgumentException($"images have 1 or 3 channels, got {channels}");
        if (destination.Length != channels * height * width)
            throw new ArgumentException($"destination holds {destination.Length} values, not [{channels}, {height}, {width}]");
        if (rowBytes < 4 * width || pixels.Length < (height - 1) * rowBytes + 4 * width)
            throw new ArgumentException($"{pixels.Length} bytes in rows of {rowBytes} do not hold {height} x {width} pixels of 4 bytes");
        int plane = height * width, red = bgra ? 2 : 0, blue = bgra ? 0 : 2;
        for (int i = 0; i < plane; i++)
        {
            int at = (i / width) * rowBytes + 4 * (i % width);
            byte r = pixels[at + red], g = pixels[at + 1], b = pixels[at + blue];
            if (channels == 3)
            {
                destination[i] = r / 127.5f - 1f;
                destination[plane + i] = g / 127.5f - 1f;
                destination[2 * plane + i] = b / 127.5f - 1f;
            }
            else if (r == g && g == b)
            {
                // A grey pixel is its own luma: exactly k / 127.5 - 1, as the IDX loader scales bytes
                // (the weighted sum below misses it by a rounding error for some k).
                destination[i] = r / 127.5f - 1f;
            }
            else
            {
                // ITU-R BT.601 luma, as PIL's convert("L").
                destination[i] = (0.299f * r + 0.587f * g + 0.114f * b) / 127.5f - 1f;
            }
        }
    }

    /// <summary>The encoded image's width and height, without decoding its pixels.</summary>
    /// <exception cref="DataFormatException">Not a PNG or JPEG image.</exception>
    public static (int Width, int Height) Size(string name, byte[] bytes)
    {
        using var codec = Codec(name, bytes);
        return (codec.Info.Width, codec.Info.Height);
    }

    private static SKCodec Codec(string name, byte[] bytes)
    {
        var codec = SKCodec.Create(new SKMemoryStream(bytes));
        if (codec is null) throw new DataFormatException(name, "is not a PNG or JPEG image (no decoder recognises it)");
        if (codec.EncodedFormat is not (SKEncodedImageFormat.Png or SKEncodedImageFormat.Jpeg))
        {
            codec.Dispose();
            throw new DataFormatException(name, $"is a {codec.EncodedFormat} image; PNG and JPEG are supported");
        }
        return codec;
    }

    private static SKBitmap DecodeRgba(string name, byte[] bytes)
    {
        using var codec = Codec(name, bytes);
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new DataFormatException(name, result == SKCodecResult.IncompleteInput
                ? "is truncated (the image data ends early)"
                : $"cannot be decoded ({result})");
        }
        return bitmap;
    }

    /// <summary>Scales so that the image covers H x W, then crops the centre.</summary>
    private static SKBitmap Fit(SKBitmap source, int height, int width)
    {
        if (source.Width == width && source.Height == height) return source.Copy();
        double scale = Math.Max(width / (double)source.Width, height / (double)source.Height);
        int scaledW = Math.Max(width, (int)Math.Round(source.Width * scale));
        int scaledH = Math.Max(height, (int)Math.Round(source.Height * scale));
        using var scaled = source.Resize(new SKImageInfo(scaledW, scaledH, SKColorType.Rgba8888, SKAlphaType.Unpremul),
            new SKSamplingOptions(SKCubicResampler.Mitchell));
        using var cropped = new SKBitmap();
        if (!scaled.ExtractSubset(cropped, SKRectI.Create((scaledW - width) / 2, (scaledH - height) / 2, width, height)))
            throw new InvalidOperationException("centre crop failed");
        return cropped.Copy();
    }
}
