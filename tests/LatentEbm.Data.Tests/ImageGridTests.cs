using LatentEbm.Data.Imaging;
using SkiaSharp;

namespace LatentEbm.Data.Tests;

public class ImageGridTests
{
    /// <summary>Decodes a PNG (and only a PNG) to RGBA, without colour conversion.</summary>
    private static SKBitmap Decode(byte[] png)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(png));
        Assert.Equal(SKEncodedImageFormat.Png, codec.EncodedFormat);
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        Assert.Equal(SKCodecResult.Success, codec.GetPixels(info, bitmap.GetPixels()));
        return bitmap;
    }

    /// <summary>One RGB image [3, 2, 2], channel-major: pixels red, green, blue, and white.</summary>
    private static float[] RedGreenBlueWhite() =>
    [
        1, -1, -1, 1,   // R plane
        -1, 1, -1, 1,   // G plane
        -1, -1, 1, 1,   // B plane
    ];

    [Fact]
    public void ThreeChannelsGiveAnRgbGridWithChannelMajorPlanes()
    {
        // Two images side by side at scale 1: the second is the first with values past the ends (clamped) and a mid grey.
        float[] second = [.. RedGreenBlueWhite().Select((v, i) => i == 3 || i == 7 || i == 11 ? 0f : v * 3f)];
        byte[] png = ImageGrid.EncodePng([.. RedGreenBlueWhite(), .. second], count: 2, channels: 3, height: 2, width: 2, columns: 2, scale: 1);

        using var bitmap = Decode(png);
        Assert.Equal((2 * 3 + 1, 3 + 1), (bitmap.Width, bitmap.Height)); // cells of 2 + 1 pixels, plus the border
        Assert.Equal(new SKColor(96, 96, 96), bitmap.GetPixel(0, 0));  // the gap
        Assert.Equal(new SKColor(255, 0, 0), bitmap.GetPixel(1, 1));
        Assert.Equal(new SKColor(0, 255, 0), bitmap.GetPixel(2, 1));
        Assert.Equal(new SKColor(0, 0, 255), bitmap.GetPixel(1, 2));
        Assert.Equal(new SKColor(255, 255, 255), bitmap.GetPixel(2, 2));
        Assert.Equal(new SKColor(96, 96, 96), bitmap.GetPixel(3, 1));
        Assert.Equal(new SKColor(255, 0, 0), bitmap.GetPixel(4, 1));   // 3 and -3 clamp to the ends
        Assert.Equal(new SKColor(0, 0, 255), bitmap.GetPixel(4, 2));
        Assert.Equal(new SKColor(128, 128, 128), bitmap.GetPixel(5, 2)); // 0 -> round(127.5) = 128
    }

    [Fact]
    public void ScaleEnlargesEachColourPixel()
    {
        byte[] png = ImageGrid.EncodePng(RedGreenBlueWhite(), count: 1, channels: 3, height: 2, width: 2, columns: 1, scale: 2);
        using var bitmap = Decode(png);
        Assert.Equal((6, 6), (bitmap.Width, bitmap.Height));
        Assert.All(new[] { (1, 1), (2, 1), (1, 2), (2, 2) }, p => Assert.Equal(new SKColor(255, 0, 0), bitmap.GetPixel(p.Item1, p.Item2)));
        Assert.Equal(new SKColor(0, 255, 0), bitmap.GetPixel(4, 2));
        Assert.Equal(new SKColor(0, 0, 255), bitmap.GetPixel(2, 4));
    }

    [Fact]
    public void OneChannelStaysAGreyPng()
    {
        float[] pixels = [-1f, -0.5f, 0.5f, 1f]; // [1, 2, 2]
        byte[] png = ImageGrid.EncodePng(pixels, count: 1, channels: 1, height: 2, width: 2, columns: 1, scale: 1);
        using (var codec = SKCodec.Create(new SKMemoryStream(png)))
            Assert.Equal(SKColorType.Gray8, codec.Info.ColorType);
        using var bitmap = Decode(png);
        Assert.Equal((4, 4), (bitmap.Width, bitmap.Height));
        Assert.Equal(new SKColor(0, 0, 0), bitmap.GetPixel(1, 1));
        Assert.Equal(new SKColor(64, 64, 64), bitmap.GetPixel(2, 1));    // round(0.5 * 127.5) = 64
        Assert.Equal(new SKColor(191, 191, 191), bitmap.GetPixel(1, 2)); // round(1.5 * 127.5) = 191
        Assert.Equal(new SKColor(255, 255, 255), bitmap.GetPixel(2, 2));
        Assert.Equal(new SKColor(96, 96, 96), bitmap.GetPixel(3, 3));
    }

    [Fact]
    public void TooFewPixelsOrAnUnsupportedChannelCountAreArgumentErrors()
    {
        // Three grey images' worth of values are one RGB image, not two.
        var e = Assert.Throws<ArgumentException>(() => ImageGrid.EncodePng(new float[3 * 4], count: 2, channels: 3, height: 2, width: 2, columns: 2));
        Assert.Contains("[3, 2, 2]", e.Message);
        Assert.Throws<ArgumentException>(() => ImageGrid.EncodePng(new float[3], count: 1, channels: 1, height: 2, width: 2, columns: 1));
        Assert.Throws<ArgumentException>(() => ImageGrid.EncodePng(new float[16], count: 1, channels: 4, height: 2, width: 2, columns: 1));
        Assert.Throws<ArgumentException>(() => ImageGrid.EncodePng(new float[8], count: 2, channels: 1, height: 2, width: 2, columns: 0));
    }

    [Fact]
    public void SavePngWritesTheEncodedBytes()
    {
        string folder = Path.Combine(Path.GetTempPath(), "latent-ebm-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string path = Path.Combine(folder, "grid.png");
            ImageGrid.SavePng(path, RedGreenBlueWhite(), count: 1, channels: 3, height: 2, width: 2, columns: 1);
            Assert.Equal(ImageGrid.EncodePng(RedGreenBlueWhite(), 1, 3, 2, 2, 1), File.ReadAllBytes(path));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
