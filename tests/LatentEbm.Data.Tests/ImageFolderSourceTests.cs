using LatentEbm.Data.Imaging;
using LatentEbm.Data.Sources;
using LatentEbm.Tests.Shared;
using SkiaSharp;

namespace LatentEbm.Data.Tests;

/// <summary>
/// Image folders: resize and centre crop (against Pillow, the independent reference, and on synthetic
/// images whose answer is known), class folders and splits, and damaged files.
/// </summary>
public class ImageFolderSourceTests
{
    private static readonly (byte, byte, byte) Red = (255, 0, 0), Green = (0, 255, 0);
    private readonly string root = TestPaths.NewTempFolder();

    /// <summary>
    /// Pillow's answer for <paramref name="path"/> as <c>[C, S, S]</c> bytes: torchvision's Resize(S) then
    /// CenterCrop(S), written out in Python (shorter side to S, the longer int(S * long / short), bilinear;
    /// crop offset round((scaled - S) / 2)).
    /// </summary>
    private static byte[] Pillow(string path, int channels, int size)
    {
        const string code = """
            import sys
            from PIL import Image
            path, mode, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
            im = Image.open(path).convert(mode)
            w, h = im.size
            if w <= h:
                ow, oh = size, int(size * h / w)
            else:
                ow, oh = int(size * w / h), size
            if (ow, oh) != (w, h):
                im = im.resize((ow, oh), Image.BILINEAR)
            left, top = int(round((ow - size) / 2.0)), int(round((oh - size) / 2.0))
            im = im.crop((left, top, left + size, top + size))
            sys.stdout.write(im.tobytes().hex())
            """;
        string hex = ReferencePython.Run("PIL.Image", "python3-pil", "-c", code, path, channels == 3 ? "RGB" : "L", size.ToString()).Trim();
        byte[] interleaved = Convert.FromHexString(hex);
        Assert.Equal(channels * size * size, interleaved.Length);
        var planar = new byte[interleaved.Length];
        for (int i = 0; i < size * size; i++)
            for (int c = 0; c < channels; c++)
                planar[c * size * size + i] = interleaved[i * channels + c];
        return planar;
    }

    private static float[] Decode(string path, int channels, int size)
    {
        var values = new float[channels * size * size];
        ImageDecoder.Decode(path, File.ReadAllBytes(path), channels, size, size, values);
        return values;
    }

    private static byte[] AsBytes(float[] values)
    {
        var bytes = new byte[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float level = (values[i] + 1f) * 127.5f;
            bytes[i] = (byte)MathF.Round(level);
            Assert.True(MathF.Abs(level - bytes[i]) < 1e-3f, $"value {values[i]} at {i} is not a whole level");
        }
        return bytes;
    }

    private static (byte, byte, byte) Noise(Random random) => ((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));

    [Theory]
    [InlineData(53, 41, 16, 3, "png")]   // shrink both ways by a non-integer factor, wide
    [InlineData(40, 90, 24, 3, "jpg")]   // tall; the JPEG decode itself is compared too
    [InlineData(10, 14, 16, 3, "png")]   // enlarge
    [InlineData(16, 16, 16, 3, "jpg")]   // the output size: copied as decoded
    [InlineData(30, 20, 12, 1, "png")]   // grey output: Pillow's convert("L"), then resize
    [InlineData(64, 48, 16, 1, "jpg")]
    public void ResizedAndCroppedPixelsEqualPillows(int width, int height, int size, int channels, string kind)
    {
        var random = new Random(width * 1000 + height);
        var format = kind == "png" ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg;
        string path = TestImages.Write(Path.Combine(root, $"noise.{kind}"), TestImages.Rgb(width, height, (_, _) => Noise(random), format, 90));
        Assert.Equal(Pillow(path, channels, size), AsBytes(Decode(path, channels, size)));
    }

    [Fact]
    public void ADifferentResizeWouldBeSeenByTheComparisonWithPillow()
    {
        // The comparison above can fail: the same image squashed to 16 x 16 (no crop) or point-sampled differs from Pillow's.
        var random = new Random(53041);
        string path = TestImages.Write(Path.Combine(root, "noise.png"), TestImages.Rgb(53, 41, (_, _) => Noise(random)));
        byte[] pillow = Pillow(path, 3, 16);
        using var bitmap = SKBitmap.Decode(path);
        using var squashed = bitmap.Resize(new SKImageInfo(16, 16, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKCubicResampler.Mitchell));
        var pixels = squashed.Pixels;
        int differ = Enumerable.Range(0, 256).Count(i => pixels[i].Red != pillow[i] || pixels[i].Green != pillow[256 + i]);
        Assert.True(differ > 200, $"{differ} of 256 pixels differ");
    }

    [Theory]
    [InlineData(64, 32)]
    [InlineData(32, 64)]
    public void TheCentreCropOfAWideOrTallImageKeepsOnlyItsMiddle(int width, int height)
    {
        // Red bands of 12 pixels at both ends of the long side, green between: scaled by 1/2 to 32 x 16 and
        // cropped to 16 x 16, the crop and its resampling taps (2 source pixels each side) see only green.
        bool wide = width > height;
        string path = TestImages.Write(Path.Combine(root, "bands.png"), TestImages.Rgb(width, height, (x, y) =>
        {
            int along = wide ? x : y;
            return along < 12 || along >= 52 ? Red : Green;
        }));
        var values = Decode(path, 3, 16);
        Assert.All(values[..256], v => Assert.Equal(-1f, v));
        Assert.All(values[256..512], v => Assert.Equal(1f, v));
        Assert.All(values[512..], v => Assert.Equal(-1f, v));

        // Not cropped but squashed, or cropped off-centre, red would show: the bands are in the image.
        var (scaledW, scaledH, cropX, cropY) = ImageDecoder.Cover(width, height, 16, 16);
        Assert.Equal(wide ? (32, 16, 8, 0) : (16, 32, 0, 8), (scaledW, scaledH, cropX, cropY));
        var whole = new float[3 * 16 * 32];
        ImageDecoder.Decode(path, File.ReadAllBytes(path), 3, wide ? 16 : 32, wide ? 32 : 16, whole);
        Assert.Equal(1f, whole.Max());
        Assert.Contains(1f, whole[..(whole.Length / 3)]);
    }

    [Fact]
    public void ShrinkingAveragesFineDetailInsteadOfAliasing()
    {
        // A one-pixel black and white checkerboard shrunk 3 times is grey (127.5 on average). Point-sampled
        // resizing (SkiaSharp's cubic filter, which ImageDecoder used) turns it into a coarse checkerboard.
        string path = TestImages.Write(Path.Combine(root, "checker.png"), TestImages.Rgb(96, 96, (x, y) => (x + y) % 2 == 0 ? ((byte)255, (byte)255, (byte)255) : ((byte)0, (byte)0, (byte)0)));
        var values = Decode(path, 1, 32);
        Assert.All(values, v => Assert.InRange(v, -0.03f, 0.03f));

        using var bitmap = SKBitmap.Decode(path);
        using var cubic = bitmap.Resize(new SKImageInfo(32, 32, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKCubicResampler.Mitchell));
        Assert.True(cubic.Pixels.Max(p => p.Red) - cubic.Pixels.Min(p => p.Red) > 100, "the point-sampled resize was expected to alias");
    }

    [Fact]
    public void GreyFilesGiveEqualChannelsAndTheirOwnLevels()
    {
        string png = TestImages.Write(Path.Combine(root, "grey.png"), TestImages.Grey(20, 20, (x, y) => (byte)(x * 10 + y)));
        var rgb = Decode(png, 3, 20);
        Assert.Equal(rgb[..400], rgb[400..800]);
        Assert.Equal(rgb[..400], rgb[800..]);
        Assert.Equal((3 * 10 + 7) / 127.5f - 1f, rgb[7 * 20 + 3]);
        Assert.Equal(rgb[..400], Decode(png, 1, 20));
        string jpg = TestImages.Write(Path.Combine(root, "grey.jpg"), TestImages.Grey(20, 20, (x, y) => (byte)(x * 10 + y), SKEncodedImageFormat.Jpeg, 90));
        Assert.Equal(Pillow(jpg, 3, 20), AsBytes(Decode(jpg, 3, 20)));
    }

    private void WriteTree(string folder, params (string Class, string File, int W, int H, (byte, byte, byte) Colour)[] images)
    {
        foreach (var (cls, file, w, h, colour) in images)
        {
            var format = file.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg;
            TestImages.Write(Path.Combine(folder, cls, file), TestImages.Rgb(w, h, (_, _) => colour, format, 100));
        }
    }

    [Fact]
    public void AFlatTreeHasOrdinallySortedClassesAllInTheTrainSplit()
    {
        WriteTree(root,
            ("b", "1.png", 40, 30, (10, 20, 30)),
            ("B", "x.PNG", 12, 50, (200, 100, 0)),
            ("a", "z.jpg", 33, 33, (0, 0, 255)),
            ("a", "y.jpeg", 16, 16, (255, 255, 255)),
            ("Zebra", "0.png", 8, 8, (0, 0, 0)),
            ("apple", "q.png", 70, 20, (90, 90, 90)));
        File.WriteAllText(Path.Combine(root, "a", "notes.txt"), "not an image");
        File.WriteAllBytes(Path.Combine(root, "stray.png"), [1, 2, 3]); // not in a class folder: not read
        var source = new ImageFolderSource(root, 16);
        Assert.False(source.HasSplits);
        var train = source.Load(DataSplit.Train);
        Assert.Equal(["B", "Zebra", "a", "apple", "b"], train.ClassNames);
        Assert.Equal(6, train.Count);
        Assert.Equal([0, 1, 2, 2, 3, 4], train.Labels.Select(l => (int)l));
        Assert.Equal((3, 16, 16), (train.Channels, train.Height, train.Width));
        // Files in a class in ordinal order: a/y.jpeg (white) before a/z.jpg (blue); one colour per image survives resizing.
        Assert.Equal([200 / 127.5f - 1f, 100 / 127.5f - 1f, -1f], Corner(train.Image(0)));
        Assert.Equal([1f, 1f, 1f], Corner(train.Image(2)));
        Assert.All(Corner(train.Image(3)).Zip([-1f, -1f, 1f]), p => Assert.Equal(p.Second, p.First, 2 / 127.5f)); // JPEG: within 2 levels
        Assert.Equal([90 / 127.5f - 1f, 90 / 127.5f - 1f, 90 / 127.5f - 1f], Corner(train.Image(4)));
        var test = source.Load(DataSplit.Test);
        Assert.Equal(0, test.Count);
        Assert.Equal(train.ClassNames, test.ClassNames);
    }

    private static float[] Corner(ReadOnlySpan<float> image) => [image[0], image[256], image[512]];

    [Fact]
    public void TrainAndTestSubfoldersAreTheSplitsWithTheTrainClasses()
    {
        WriteTree(Path.Combine(root, "train"), ("cat", "1.png", 8, 8, (1, 2, 3)), ("dog", "1.png", 8, 8, (4, 5, 6)), ("dog", "2.png", 8, 8, (7, 8, 9)));
        WriteTree(Path.Combine(root, "test"), ("dog", "1.png", 8, 8, (10, 11, 12)));
        var source = new ImageFolderSource(root, 8);
        Assert.True(source.HasSplits);
        var train = source.Load(DataSplit.Train);
        var test = source.Load(DataSplit.Test);
        Assert.Equal(["cat", "dog"], train.ClassNames);
        Assert.Equal(["cat", "dog"], test.ClassNames);
        Assert.Equal([0, 1, 1], train.Labels.Select(l => (int)l));
        Assert.Equal([1], test.Labels.Select(l => (int)l));
        Assert.Equal(10 / 127.5f - 1f, test.Image(0)[0]);
        // Without a test folder, train is a class like any other (its images directly inside it).
        Directory.Delete(Path.Combine(root, "test"), recursive: true);
        Assert.False(new ImageFolderSource(root, 8).HasSplits);
        TestImages.Write(Path.Combine(root, "train", "direct.png"), TestImages.Rgb(8, 8, (_, _) => Red));
        var flat = new ImageFolderSource(root, 8).Load(DataSplit.Train);
        Assert.Equal(["train"], flat.ClassNames);
        Assert.Equal(1, flat.Count);
    }

    [Theory]
    [InlineData("truncated jpeg", "is truncated (the image data ends early)")]
    [InlineData("truncated png", "is truncated (the image data ends early)")]
    [InlineData("text named png", "is not a PNG or JPEG image (no decoder recognises it)")]
    [InlineData("bmp named jpg", "is a Bmp image; PNG and JPEG are supported")]
    [InlineData("empty file", "is not a PNG or JPEG image (no decoder recognises it)")]
    [InlineData("jpeg cut in its header", "is truncated or corrupt (a JPEG signature, but no decodable image header)")]
    public void DamagedImagesAreRefusedNamingTheFile(string damage, string expected)
    {
        WriteTree(root, ("good", "0.png", 8, 8, (1, 2, 3)));
        var random = new Random(1);
        byte[] jpeg = TestImages.Rgb(64, 64, (_, _) => Noise(random), SKEncodedImageFormat.Jpeg, 90);
        byte[] png = TestImages.Rgb(64, 64, (_, _) => Noise(random));
        var (file, bytes) = damage switch
        {
            "truncated jpeg" => ("bad.jpg", jpeg[..(jpeg.Length / 2)]),
            "truncated png" => ("bad.png", png[..(png.Length / 2)]),
            "text named png" => ("bad.png", "this is not an image"u8.ToArray()),
            "bmp named jpg" => ("bad.jpg", Bmp2x2()),
            "empty file" => ("bad.png", Array.Empty<byte>()),
            "jpeg cut in its header" => ("bad.jpg", jpeg[..40]),
            _ => throw new ArgumentException(damage),
        };
        string path = TestImages.Write(Path.Combine(root, "good", file), bytes);
        var error = Assert.Throws<DataFormatException>(() => new ImageFolderSource(root, 8).Load(DataSplit.Train));
        Assert.Equal(path, error.FilePath);
        Assert.Equal($"{path}: {expected}", error.Message);

        // The undamaged file alone reads.
        File.Delete(path);
        Assert.Equal(1, new ImageFolderSource(root, 8).Load(DataSplit.Train).Count);
    }

    /// <summary>A 2 x 2 24-bit BMP written out (SkiaSharp decodes BMP but does not encode it).</summary>
    private static byte[] Bmp2x2()
    {
        var bmp = new byte[54 + 16];
        "BM"u8.CopyTo(bmp);
        BitConverter.GetBytes(bmp.Length).CopyTo(bmp, 2);
        BitConverter.GetBytes(54).CopyTo(bmp, 10);   // pixel data offset
        BitConverter.GetBytes(40).CopyTo(bmp, 14);   // BITMAPINFOHEADER
        BitConverter.GetBytes(2).CopyTo(bmp, 18);    // width
        BitConverter.GetBytes(2).CopyTo(bmp, 22);    // height
        BitConverter.GetBytes((short)1).CopyTo(bmp, 26);
        BitConverter.GetBytes((short)24).CopyTo(bmp, 28);
        BitConverter.GetBytes(16).CopyTo(bmp, 34);   // image size: 2 rows of 6 bytes padded to 8
        return bmp;
    }

    [Fact]
    public void TreesWithoutClassesOrImagesAreRefused()
    {
        var error = Assert.Throws<DataFormatException>(() => new ImageFolderSource(root, 8).Load(DataSplit.Train));
        Assert.Equal(root, error.FilePath);
        Assert.Contains("has no class subfolders", error.Message);
        Directory.CreateDirectory(Path.Combine(root, "empty-class"));
        File.WriteAllText(Path.Combine(root, "empty-class", "readme.txt"), "no images here");
        error = Assert.Throws<DataFormatException>(() => new ImageFolderSource(root, 8).Load(DataSplit.Train));
        Assert.Equal(Path.Combine(root, "empty-class"), error.FilePath);
        Assert.Contains("holds no PNG or JPEG image; every class subfolder", error.Message);
        // Beside a class with images, an empty class is still refused: it would shift the later class indices.
        WriteTree(root, ("full", "0.png", 8, 8, (1, 2, 3)));
        error = Assert.Throws<DataFormatException>(() => new ImageFolderSource(root, 8).Load(DataSplit.Train));
        Assert.Equal(Path.Combine(root, "empty-class"), error.FilePath);
        Directory.Delete(Path.Combine(root, "empty-class"), recursive: true);
        // A hidden folder is not a class; an image format this source does not read is an error naming the file.
        Directory.CreateDirectory(Path.Combine(root, ".ipynb_checkpoints"));
        Assert.Equal(["full"], new ImageFolderSource(root, 8).Load(DataSplit.Train).ClassNames);
        string bmp = TestImages.Write(Path.Combine(root, "full", "1.bmp"), Bmp2x2());
        error = Assert.Throws<DataFormatException>(() => new ImageFolderSource(root, 8).Load(DataSplit.Train));
        Assert.Equal(bmp, error.FilePath);
        Assert.Contains("is a BMP file; PNG and JPEG are supported", error.Message);
        Assert.Throws<DirectoryNotFoundException>(() => new ImageFolderSource(Path.Combine(root, "absent"), 8).Load(DataSplit.Train));
    }

    [Fact]
    public void ImageSourcesOpensEveryNameAndImageFolderNeedsAPath()
    {
        WriteTree(root, ("only", "0.png", 8, 8, (1, 2, 3)));
        Directory.CreateDirectory(Path.Combine(root, "mnist"));
        Directory.CreateDirectory(Path.Combine(root, "fashion-mnist"));
        Assert.Equal(["mnist", "fashion-mnist", "cifar-10", "svhn", "image-folder"], ImageSources.Names);
        foreach (var name in Enum.GetValues<DatasetName>())
        {
            var source = ImageSources.Open(name, root, name == DatasetName.ImageFolder ? root : null, imageSize: 12);
            Assert.Equal(name, source.Name);
            Assert.Equal(name switch
            {
                DatasetName.Mnist => typeof(IdxSource),
                DatasetName.FashionMnist => typeof(IdxSource),
                DatasetName.Cifar10 => typeof(Cifar10Source),
                DatasetName.Svhn => typeof(SvhnSource),
                _ => typeof(ImageFolderSource),
            }, source.GetType());
            Assert.Equal(name == DatasetName.ImageFolder ? root : Path.Combine(root, SettingNames.Of(name)), source.Location);
            Assert.Equal(name, SettingNames.Parse<DatasetName>(SettingNames.Of(name)));
            // By its written name, as manifests record it.
            Assert.Equal(name, ImageSources.Open(SettingNames.Of(name), root, name == DatasetName.ImageFolder ? root : null).Name);
        }
        Assert.Contains("'cifar10' is not one of", Assert.Throws<ArgumentException>(() => ImageSources.Open("cifar10", root)).Message);
        Assert.Equal(12, ((ImageFolderSource)ImageSources.Open(DatasetName.ImageFolder, root, root, imageSize: 12)).Size);
        var error = Assert.Throws<ArgumentException>(() => ImageSources.Open(DatasetName.ImageFolder, root));
        Assert.Contains("needs a folder", error.Message);
        // A path overrides the data root for the others too.
        Assert.Equal("/elsewhere", ImageSources.Open(DatasetName.Svhn, root, "/elsewhere").Location);
        Assert.Equal("svhn", System.Text.Json.JsonSerializer.Serialize(DatasetName.Svhn).Trim('"'));
        Assert.Equal(DatasetName.Svhn, System.Text.Json.JsonSerializer.Deserialize<DatasetName>("\"svhn\""));
    }
}
