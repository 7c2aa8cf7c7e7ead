using LatentEbm.Data.IO;
using SkiaSharp;

namespace LatentEbm.Data.Imaging;

/// <summary>Writes a batch of grey-scale images as one PNG grid (SkiaSharp), atomically.</summary>
public static class ImageGrid
{
    /// <summary>
    /// Tiles <paramref name="count"/> images of <c>[1, height, width]</c> (values in [-1, 1],
    /// clamped) row by row, <paramref name="columns"/> per row, with a one-pixel gap, each pixel
    /// enlarged <paramref name="scale"/> times.
    /// </summary>
    /// <exception cref="ArgumentException">The pixel array is shorter than count x height x width.</exception>
    public static void SavePng(string path, ReadOnlySpan<float> pixels, int count, int height, int width, int columns, int scale = 2) =>
        AtomicFile.WriteAllBytes(path, EncodePng(pixels, count, height, width, columns, scale));

    /// <summary>The PNG bytes of the grid <see cref="SavePng"/> writes.</summary>
    /// <exception cref="ArgumentException">The pixel array is shorter than count x height x width.</exception>
    public static byte[] EncodePng(ReadOnlySpan<float> pixels, int count, int height, int width, int columns, int scale = 2)
    {
        if (count <= 0 || columns <= 0) throw new ArgumentException("count and columns must be positive");
        if (pixels.Length < (long)count * height * width)
            throw new ArgumentException($"{pixels.Length} values do not hold {count} images of {height}x{width}");
        int rows = (count + columns - 1) / columns;
        int cellW = width * scale + 1, cellH = height * scale + 1;
        using var bitmap = new SKBitmap(columns * cellW + 1, rows * cellH + 1, SKColorType.Gray8, SKAlphaType.Opaque);
        bitmap.Erase(new SKColor(96, 96, 96));
        for (int n = 0; n < count; n++)
        {
            int x0 = 1 + (n % columns) * cellW, y0 = 1 + (n / columns) * cellH;
            for (int y = 0; y < height * scale; y++)
            for (int x = 0; x < width * scale; x++)
            {
                float v = pixels[n * height * width + (y / scale) * width + x / scale];
                byte g = (byte)Math.Clamp((int)MathF.Round((v + 1f) * 127.5f), 0, 255);
                bitmap.SetPixel(x0 + x, y0 + y, new SKColor(g, g, g));
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
