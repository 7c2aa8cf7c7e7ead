using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LatentEbm.Data.Datasets;
using LatentEbm.Data.Idx;
using LatentEbm.Inference.Bundles;
using LatentEbm.Server.Endpoints;
using LatentEbm.Tests.Shared;
using Microsoft.AspNetCore.Http;
using SkiaSharp;

namespace LatentEbm.Server.Tests;

/// <summary>PNG and JPEG inputs (a whole body, or multipart parts) against the shipped mnist-digit4 bundle, [1, 28, 28].</summary>
public class ImageInputTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Model = "/v1/models/mnist-digit4";

    /// <summary>The MNIST test images as the bytes of the IDX file (what a PNG holds) and as the data library's rows (what JSON holds).</summary>
    private static readonly Lazy<IdxArray> Bytes = new(() => IdxReader.Read(Path.Combine(TestPaths.Mnist, "t10k-images-idx3-ubyte"), expectedRank: 3));
    private static readonly Lazy<LabeledImages> Rows = new(() => ImageDatasets.LoadSplit(TestPaths.Mnist, train: false));

    private static float[][] JsonRows(params int[] indices) => [.. indices.Select(i => Rows.Value.Image(i).ToArray())];

    /// <summary>An 8-bit grey image of the given bytes, encoded by SkiaSharp.</summary>
    private static byte[] Encode(ReadOnlySpan<byte> grey, int width, int height, SKEncodedImageFormat format, int quality = 100)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        var target = bitmap.GetPixelSpan();
        for (int y = 0; y < height; y++) grey.Slice(y * width, width).CopyTo(target.Slice(y * bitmap.RowBytes, width));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    private static byte[] Mnist(int index, SKEncodedImageFormat format = SKEncodedImageFormat.Png) =>
        Encode(Bytes.Value.Data.AsSpan(index * 784, 784), 28, 28, format, quality: 95);

    private static ByteArrayContent Typed(byte[] bytes, string type)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    private async Task<(HttpStatusCode Status, string ContentType, JsonElement Body)> Send(string path, HttpContent content)
    {
        using var response = await server.Client.PostAsync(path, content);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<double[]> Scores(HttpContent content, string path = $"{Model}/scores")
    {
        var (status, _, body) = await Send(path, content);
        Assert.True(status == HttpStatusCode.OK, $"{(int)status}: {body}");
        return [.. body.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble())];
    }

    private async Task<double[]> JsonScores(float[][] images, int seed) => await Scores(JsonContent.Create(new { images, seed }));

    private static void AssertClose(double[] expected, double[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * Math.Abs(expected[i]), $"score {i}: {actual[i]} against {expected[i]}");
    }

    [Fact]
    public void TheTestPngHoldsTheIdxBytesExactly()
    {
        // The premise of the comparisons below: 8-bit grey PNG, lossless, pixel k on both sides.
        using var bitmap = SKBitmap.Decode(Mnist(0));
        Assert.Equal((28, 28), (bitmap.Width, bitmap.Height));
        for (int i = 0; i < 784; i++)
            Assert.Equal(Bytes.Value.Data[i], bitmap.GetPixel(i % 28, i / 28).Red);
    }

    [Fact]
    public async Task APngBodyScoresAsItsPixelsSentAsJsonRows()
    {
        const int image = 4, seed = 3;
        double[] json = await JsonScores(JsonRows(image), seed);
        double[] png = await Scores(Typed(Mnist(image), "image/png"), $"{Model}/scores?seed={seed}");
        AssertClose(json, png, 1e-6);
        // Without a seed the answer says the fresh one it drew; JSON rows with that seed score the same.
        var (status, _, body) = await Send($"{Model}/scores", Typed(Mnist(image), "image/png"));
        Assert.Equal(HttpStatusCode.OK, status);
        int drawn = body.GetProperty("seed").GetInt32();
        AssertClose(await JsonScores(JsonRows(image), drawn), [body.GetProperty("scores")[0].GetDouble()], 1e-6);
    }

    [Fact]
    public async Task MultipartWithThreeImagesEqualsThreeJsonRows()
    {
        int[] images = [0, 1, 2];
        using var form = new MultipartFormDataContent();
        foreach (int i in images) form.Add(Typed(Mnist(i), "image/png"), "images", $"digit{i}.png");
        form.Add(new StringContent("11"), "seed");
        AssertClose(await JsonScores(JsonRows(images), 11), await Scores(form), 1e-6);

        // Latents and reconstructions read the same parts (application/octet-stream: the bytes tell PNG).
        using var latentForm = new MultipartFormDataContent { { Typed(Mnist(5), "application/octet-stream"), "file", "five.png" } };
        var (status, _, body) = await Send($"{Model}/latents?seed=2", latentForm);
        Assert.Equal(HttpStatusCode.OK, status);
        using var json = await server.Client.PostAsJsonAsync($"{Model}/latents", new { images = JsonRows(5), seed = 2 });
        var expected = JsonDocument.Parse(await json.Content.ReadAsStringAsync()).RootElement.GetProperty("latents")[0].EnumerateArray().Select(e => e.GetDouble()).ToArray();
        AssertClose(expected, [.. body.GetProperty("latents")[0].EnumerateArray().Select(e => e.GetDouble())], 1e-6);
        (status, _, body) = await Send($"{Model}/reconstructions", Typed(Mnist(5), "image/png"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(784, body.GetProperty("images")[0].GetArrayLength());
    }

    [Fact]
    public async Task AJpegIsScoredCloseToThePng()
    {
        const int image = 7;
        // One seed for both, so only the pixels differ (a request without a seed draws a fresh one).
        double png = (await Scores(Typed(Mnist(image), "image/png"), $"{Model}/scores?seed=3"))[0];
        double jpeg = (await Scores(Typed(Mnist(image, SKEncodedImageFormat.Jpeg), "image/jpeg"), $"{Model}/scores?seed=3"))[0];
        Assert.True(double.IsFinite(jpeg));
        // Quality 95 moves pixels by a few levels: the score moves (0.4% for this digit), far less than between digits.
        Assert.True(Math.Abs(jpeg - png) <= 0.02 * Math.Abs(png), $"JPEG {jpeg} against PNG {png}");
    }

    [Fact]
    public async Task AWrongSizeIsA400NamingTheExpectedSize()
    {
        byte[] big = Encode(new byte[32 * 32], 32, 32, SKEncodedImageFormat.Png);
        var (status, type, body) = await Send($"{Model}/scores", Typed(big, "image/png"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", type);
        Assert.Contains("is 32x32; model mnist-digit4 expects 28x28 images with 1 channel", body.GetProperty("detail").GetString());

        using var form = new MultipartFormDataContent
        {
            { Typed(Mnist(0), "image/png"), "images", "a.png" },
            { Typed(big, "image/png"), "images", "cat.png" },
        };
        (status, _, body) = await Send($"{Model}/scores", form);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("images[1]", body.GetProperty("field").GetString());
        Assert.Equal("image 1 (cat.png) is 32x32; model mnist-digit4 expects 28x28 images with 1 channel", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task ATruncatedOrNonImagePartIsA400NamingThePart()
    {
        byte[] png = Mnist(0);
        using var form = new MultipartFormDataContent
        {
            { Typed(png, "image/png"), "images", "whole.png" },
            { Typed(png[..(png.Length / 2)], "image/png"), "images", "half.png" },
        };
        var (status, type, body) = await Send($"{Model}/scores", form);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", type);
        Assert.Equal("images[1]", body.GetProperty("field").GetString());
        Assert.Contains("image 1 (half.png) is truncated", body.GetProperty("detail").GetString());

        (status, _, body) = await Send($"{Model}/scores", Typed(Encoding.UTF8.GetBytes("not a picture"), "image/png"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("is not a PNG or JPEG image", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task OtherContentTypesAre415ListingTheAcceptedOnes()
    {
        var (status, type, body) = await Send($"{Model}/scores", new StringContent("{\"images\": [[0]]}", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal("application/problem+json", type);
        string[] accepted = [.. body.GetProperty("accepted").EnumerateArray().Select(e => e.GetString()!)];
        Assert.Equal(["application/json", "image/png", "image/jpeg", "multipart/form-data"], accepted);
        Assert.Contains("text/plain", body.GetProperty("detail").GetString());

        using var form = new MultipartFormDataContent { { Typed([1, 2, 3], "image/gif"), "images", "a.gif" } };
        (status, _, body) = await Send($"{Model}/scores", form);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal("images[0]", body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task MultipartCountsSeedsAndFieldsAreChecked()
    {
        byte[] png = Mnist(0);
        var options = server.Options() with { MaxImages = 2 };
        var (app, client) = await ServerFixture.Start(options);
        try
        {
            using var three = new MultipartFormDataContent();
            for (int i = 0; i < 3; i++) three.Add(Typed(png, "image/png"), "images", $"{i}.png");
            using var response = await client.PostAsync($"{Model}/scores", three);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("1..2 images", await response.Content.ReadAsStringAsync());
        }
        finally
        {
            client.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
        }

        using var none = new MultipartFormDataContent { { new StringContent("1"), "seed" } };
        var (status, _, body) = await Send($"{Model}/scores", none);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("images", body.GetProperty("field").GetString());

        using var typo = new MultipartFormDataContent { { Typed(png, "image/png"), "images", "a.png" }, { new StringContent("1"), "sed" } };
        (status, _, body) = await Send($"{Model}/scores", typo);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("sed", body.GetProperty("field").GetString());

        using var badSeed = new MultipartFormDataContent { { Typed(png, "image/png"), "images", "a.png" }, { new StringContent("x"), "seed" } };
        (status, _, body) = await Send($"{Model}/scores", badSeed);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("seed", body.GetProperty("field").GetString());

        using var twice = new MultipartFormDataContent { { Typed(png, "image/png"), "images", "a.png" }, { new StringContent("1"), "seed" } };
        (status, _, body) = await Send($"{Model}/scores?seed=1", twice);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("seed", body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task AnImageBodyOverTheSizeLimitIs413()
    {
        // The fixture's limit is 4 MB; the reader stops there, as for JSON.
        var content = Typed(new byte[5 * 1024 * 1024], "image/png");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Model}/scores") { Content = content };
        request.Headers.ExpectContinue = true;
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task SamplesAsPngAreAGridOfTheModelsImages()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Model}/samples") { Content = JsonContent.Create(new { count = 10, seed = 1 }) };
        request.Headers.Accept.ParseAdd("image/png");
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType!.MediaType);
        using var codec = SKCodec.Create(new SKMemoryStream(await response.Content.ReadAsByteArrayAsync()));
        Assert.Equal(SKEncodedImageFormat.Png, codec.EncodedFormat);
        // 10 images of 28x28 at scale 2, 8 per row: 8 x 57 + 1 wide, 2 x 57 + 1 high; grey for a grey model.
        Assert.Equal((8 * 57 + 1, 2 * 57 + 1), (codec.Info.Width, codec.Info.Height));
        Assert.Equal(SKColorType.Gray8, codec.Info.ColorType);
    }

    /// <summary>A bundle's settings with the given shape and pixel range (the reader needs no model behind them).</summary>
    private static BundleModel Settings(int[] shape, double[] range) =>
        new(16, shape, 0.3, 1, 60, 0.4, 20, 0.1, "leaky_relu", "", "", range);

    private static async Task<float[]> ReadDirectly(byte[] png, BundleModel model)
    {
        var http = new DefaultHttpContext();
        http.Request.ContentType = "image/png";
        http.Request.Body = new MemoryStream(png);
        Assert.Equal(BodyKind.Image, ContentNegotiation.Body(http.Request, ContentNegotiation.JsonOrImages));
        var request = await ImageBodyReader.Read(http.Request, "m", model, 4, CancellationToken.None);
        Assert.Equal((1, (int?)null), (request.Count, request.Seed));
        return request.Images;
    }

    [Fact]
    public async Task AGreyFileForAColourModelIsExpandedToRgb()
    {
        float[] pixels = await ReadDirectly(Mnist(0), Settings([3, 28, 28], [-1, 1]));
        Assert.Equal(3 * 784, pixels.Length);
        var grey = Rows.Value.Image(0).ToArray();
        Assert.Equal(grey, pixels[..784]);
        Assert.Equal(grey, pixels[784..1568]);
        Assert.Equal(grey, pixels[1568..]);

        var http = new DefaultHttpContext();
        http.Request.ContentType = "image/png";
        http.Request.Body = new MemoryStream(Mnist(0));
        var e = await Assert.ThrowsAsync<RequestValidationException>(() => ImageBodyReader.Read(http.Request, "cifar", Settings([3, 32, 32], [-1, 1]), 4, CancellationToken.None));
        Assert.Equal("the image is 28x28; model cifar expects 32x32 images with 3 channels", e.Message);
    }

    [Fact]
    public async Task PixelsFollowTheManifestsPixelRange()
    {
        float[] pixels = await ReadDirectly(Mnist(0), Settings([1, 28, 28], [0, 1]));
        for (int i = 0; i < 784; i++) Assert.Equal(Bytes.Value.Data[i] / 255.0, pixels[i], 1e-6);
    }
}
