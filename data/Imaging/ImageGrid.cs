using LatentEbm.Data.IO;
using SkiaSharp;

namespace LatentEbm.Data.Imaging;

/// <summary>Writes a batch of grey-scale or RGB images as one PNG grid (SkiaSharp), atomically.</summary>
public static class ImageGrid
{
    /// <summary>
    /// Tiles <paramref name="count"/> images of <c>[channels, height, width]</c> (values in [-1, 1],
    /// clamped) row by row, <paramref name="columns"/> per row, with a one-pixel grey gap, each pixel
    /// enlarged <paramref name="scale"/> times. One channel gives a grey-scale PNG; three give an RGB
    /// PNG, each image stored channel-major (the R plane, then G, then B).
    /// </summary>
    /// <exception cref="ArgumentException">
    /// channels is not 1 or 3; count, columns, height, width or scale is not positive; or the pixel
    /// array is shorter than count x channels x height x width.
    /// </exception>
    public static void SavePng(string path, ReadOnlySpan<float> pixels, int count, int channels, int height, int width, int columns, int scale = 2) =>
        AtomicFile.WriteAllBytes(path, EncodePng(pixels, count, channels, height, width, columns, scale));

    /// <summary>The PNG bytes of the grid <see cref="SavePng"/> writes.</summary>
    /// <exception cref="ArgumentException">As <see cref="SavePng"/>.</exception>
    public static byte[] EncodePng(ReadOnlySpan<float> pixels, int count, int channels, int height, int width, int columns, int scale = 2)
    {
        if (channels is not (1 or 3)) throw new ArgumentException($"images have 1 (grey) or 3 (RGB) channels, got {channels}", nameof(channels));
        if (count <= 0 || columns <= 0 || height <= 0 || width <= 0 || scale <= 0)
            throw new ArgumentException("count, columns, height, width and scale must be positive");
        int plane = height * width, size = channels * plane;
        if (pixels.Length < (long)count * size)
            throw new ArgumentException($"{pixels.Length} values do not hold {count} images of [{channels}, {height}, {width}]", nameof(pixels));
        int rows = (count + columns - 1) / columns;
        int cellW = width * scale + 1, cellH = height * scale + 1;
        // Gray8 for one channel (as before), opaque RGBA for three.
        var colorType = channels == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888;
        using var bitmap = new SKBitmap(new SKImageInfo(columns * cellW + 1, rows * cellH + 1, colorType, SKAlphaType.Opaque));
        bitmap.Erase(new SKColor(96, 96, 96));
        Span<byte> target = bitmap.GetPixelSpan();
        int rowBytes = bitmap.RowBytes, bytesPerPixel = channels == 1 ? 1 : 4;
        for (int n = 0; n < count; n++)
        {
            var image = pixels.Slice(n * size, size);
            int x0 = 1 + (n % columns) * cellW, y0 = 1 + (n / columns) * cellH;
            for (int y = 0; y < height * scale; y++)
            for (int x = 0; x < width * scale; x++)
            {
                int source = (y / scale) * width + x / scale;
                int at = (y0 + y) * rowBytes + (x0 + x) * bytesPerPixel;
                for (int c = 0; c < channels; c++)
                    target[at + c] = Byte(image[c * plane + source]);
            }
        }
        using var encoded = SKImage.FromBitmap(bitmap);
        using var data = encoded.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>A value on [-1, 1] (clamped) as a byte, round((v + 1) * 127.5).</summary>
    private static byte Byte(float v) => (byte)Math.Clamp((int)MathF.Round((v + 1f) * 127.5f), 0, 255);
}
