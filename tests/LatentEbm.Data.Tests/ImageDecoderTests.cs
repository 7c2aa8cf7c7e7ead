using LatentEbm.Data.Imaging;
using SkiaSharp;

namespace LatentEbm.Data.Tests;

public class ImageDecoderTests
{
    /// <summary>A 16x16 8-bit grey PNG holding every level 0..255 once, row-major.</summary>
    private static byte[] EveryGreyLevel()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(16, 16, SKColorType.Gray8, SKAlphaType.Opaque));
        var pixels = bitmap.GetPixelSpan();
        for (int k = 0; k < 256; k++) pixels[(k / 16) * bitmap.RowBytes + k % 16] = (byte)k;
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Fact]
    public void GreyLevelsDecodeExactlyAsTheIdxLoaderScalesBytes()
    {
        // k / 127.5f - 1f bit for bit, whether read as one channel or expanded to three.
        var grey = new float[256];
        ImageDecoder.Decode("levels.png", EveryGreyLevel(), 1, 16, 16, grey);
        var rgb = new float[3 * 256];
        ImageDecoder.Decode("levels.png", EveryGreyLevel(), 3, 16, 16, rgb);
        for (int k = 0; k < 256; k++)
        {
            float expected = k / 127.5f - 1f;
            Assert.Equal(expected, grey[k]);
            Assert.Equal([expected, expected, expected], new[] { rgb[k], rgb[256 + k], rgb[512 + k] });
        }
    }

    [Fact]
    public void AColourPixelReadAsGreyIsItsLuma()
    {
        using var bitmap = new SKBitmap(new SKImageInfo(1, 1, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.SetPixel(0, 0, new SKColor(200, 100, 50));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        var grey = new float[1];
        ImageDecoder.Decode("one.png", data.ToArray(), 1, 1, 1, grey);
        // Pillow's convert("L"): the ITU-R BT.601 luma 0.299 R + 0.587 G + 0.114 B = 124.2, rounded to a byte.
        Assert.Equal(124 / 127.5f - 1f, grey[0]);
        Assert.NotEqual(125 / 127.5f - 1f, grey[0]);
    }
}
