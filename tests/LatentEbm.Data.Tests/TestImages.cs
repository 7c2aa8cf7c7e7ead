using System.Runtime.InteropServices;
using SkiaSharp;

namespace LatentEbm.Data.Tests;

/// <summary>Writes PNG and JPEG test images with SkiaSharp from a pixel function.</summary>
internal static class TestImages
{
    /// <summary>An RGB image of <paramref name="width"/> x <paramref name="height"/> encoded as PNG (lossless) or JPEG.</summary>
    public static byte[] Rgb(int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 100)
    {
        var bytes = new byte[width * height * 4];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var (r, g, b) = pixel(x, y);
                int at = 4 * (y * width + x);
                (bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]) = (r, g, b, 255);
            }
        return Encode(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque), bytes, format, quality);
    }

    /// <summary>A one-channel (grey) image encoded as PNG or JPEG.</summary>
    public static byte[] Grey(int width, int height, Func<int, int, byte> pixel, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 100)
    {
        var bytes = new byte[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bytes[y * width + x] = pixel(x, y);
        return Encode(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque), bytes, format, quality);
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/>, creating its folder.</summary>
    public static string Write(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Encode(SKImageInfo info, byte[] pixels, SKEncodedImageFormat format, int quality)
    {
        using var bitmap = new SKBitmap(info);
        Assert.Equal(info.BytesPerPixel * info.Width, bitmap.RowBytes);
        Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        Assert.NotNull(data);
        return data.ToArray();
    }
}
