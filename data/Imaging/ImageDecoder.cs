using LatentEbm.Data.Sources;
using SkiaSharp;

namespace LatentEbm.Data.Imaging;

/// <summary>
/// Decodes PNG and JPEG files (SkiaSharp) into pixels <c>[C, H, W]</c> on [-1, 1] (x / 127.5 - 1),
/// RGB for C = 3 and luminance for C = 1 (Pillow's <c>convert("L")</c>: (19595 R + 38470 G + 7471 B +
/// 0x8000) &gt;&gt; 16). The image is resized so that it just covers H x W, then centre-cropped: for a
/// square output of side S this is torchvision's <c>Resize(S)</c> then <c>CenterCrop(S)</c> (the
/// shorter side becomes S, the longer <c>int(S * long / short)</c>, the crop offset
/// <c>round((scaled - S) / 2)</c>), the usual CelebA-64 preparation, resampled as Pillow's antialiased
/// bilinear filter does (<see cref="ImageResampler"/>), so the pixels equal Pillow's. An image of the
/// output size is copied as decoded. Alpha is dropped; EXIF orientation and ICC profiles are ignored
/// (as Pillow's <c>Image.open(...).convert("RGB")</c> does).
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
        if (height < 1 || width < 1 || destination.Length != channels * height * width)
            throw new ArgumentException($"destination holds {destination.Length} values, not [{channels}, {height}, {width}]");
        using var bitmap = DecodeRgba(name, bytes);
        var planes = Planes(bitmap, channels);
        var (scaledW, scaledH, cropX, cropY) = Cover(bitmap.Width, bitmap.Height, width, height);
        int plane = height * width;
        for (int c = 0; c < channels; c++)
        {
            var fitted = ImageResampler.ResizeAndCrop(planes[c], bitmap.Width, bitmap.Height, scaledW, scaledH, cropX, cropY, width, height);
            var target = destination.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++) target[i] = fitted[i] / 127.5f - 1f;
        }
    }

    /// <summary>
    /// Converts 8-bit pixels with 4 bytes each (RGBA, or BGRA when <paramref name="bgra"/>; alpha ignored) in rows of
    /// <paramref name="rowBytes"/> bytes, already of the output size, into <c>[C, H, W]</c> on [-1, 1], the rule of
    /// <see cref="Decode"/>: a byte k becomes k / 127.5 - 1; C = 3 gives R, G, B planes, C = 1 Pillow's rounded luminance.
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
            else
            {
                destination[i] = Luma(r, g, b) / 127.5f - 1f;
            }
        }
    }

    /// <summary>Pillow's <c>convert("L")</c>: ITU-R BT.601 luma rounded to a byte (a grey pixel is its own luma).</summary>
    private static byte Luma(byte r, byte g, byte b) => (byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);

    /// <summary>
    /// The size an image of <paramref name="sourceWidth"/> x <paramref name="sourceHeight"/> is resized to so
    /// that it covers <paramref name="width"/> x <paramref name="height"/>, and the top-left corner of the
    /// centred crop (torchvision's <c>Resize</c> and <c>CenterCrop</c> arithmetic for square outputs).
    /// </summary>
    public static (int ScaledWidth, int ScaledHeight, int CropX, int CropY) Cover(int sourceWidth, int sourceHeight, int width, int height)
    {
        int scaledW, scaledH;
        if ((double)width / sourceWidth >= (double)height / sourceHeight)
        {
            scaledW = width;
            scaledH = Math.Max(height, (int)((double)width * sourceHeight / sourceWidth));
        }
        else
        {
            scaledH = height;
            scaledW = Math.Max(width, (int)((double)height * sourceWidth / sourceHeight));
        }
        if (sourceWidth == width && sourceHeight == height) (scaledW, scaledH) = (width, height);
        return (scaledW, scaledH, (int)Math.Round((scaledW - width) / 2.0, MidpointRounding.ToEven), (int)Math.Round((scaledH - height) / 2.0, MidpointRounding.ToEven));
    }

    /// <summary>The R, G, B planes (C = 3) or the luminance plane (C = 1) of an RGBA bitmap.</summary>
    private static byte[][] Planes(SKBitmap bitmap, int channels)
    {
        ReadOnlySpan<byte> rgba = bitmap.GetPixelSpan();
        int w = bitmap.Width, h = bitmap.Height, rowBytes = bitmap.RowBytes;
        var planes = new byte[channels][];
        for (int c = 0; c < channels; c++) planes[c] = new byte[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int at = y * rowBytes + 4 * x, i = y * w + x;
                if (channels == 3)
                {
                    planes[0][i] = rgba[at];
                    planes[1][i] = rgba[at + 1];
                    planes[2][i] = rgba[at + 2];
                }
                else
                {
                    planes[0][i] = Luma(rgba[at], rgba[at + 1], rgba[at + 2]);
                }
            }
        return planes;
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
        if (codec is null)
        {
            // A file cut inside its header still starts with the format's signature.
            bool png = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']);
            bool jpeg = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]);
            throw new DataFormatException(name, png || jpeg
                ? $"is truncated or corrupt (a {(png ? "PNG" : "JPEG")} signature, but no decodable image header)"
                : "is not a PNG or JPEG image (no decoder recognises it)");
        }
        var format = codec.EncodedFormat;
        if (format is not (SKEncodedImageFormat.Png or SKEncodedImageFormat.Jpeg))
        {
            // The format is read before the codec is disposed: reading it afterwards crashed the process.
            codec.Dispose();
            throw new DataFormatException(name, $"is a {format} image; PNG and JPEG are supported");
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
}
