using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using LatentEbm.Data.Imaging;
using LatentEbm.Tests.Shared;
using SkiaSharp;

namespace LatentEbm.Server.Tests;

/// <summary>The shipped colour bundle models/cifar10-conv ([3, 32, 32]) through the service, on real CIFAR-10 JPEG files.</summary>
public class ColourModelTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Model = "/v1/models/cifar10-conv";

    private static string[] TestJpegs(int count) =>
        [.. Directory.GetFiles(Path.Combine(TestPaths.RepositoryRoot, ".cache", "data", "cifar-10", "cifar-10-jpg", "test", "ship")).Order(StringComparer.Ordinal).Take(count)];

    [Fact]
    public async Task ARealCifarJpegScoresAsItsDecodedPixelsSentAsJson()
    {
        string[] files = TestJpegs(2);
        Assert.True(files.Length == 2, "CIFAR-10 is not unpacked: run make data");
        using var multipart = new MultipartFormDataContent();
        foreach (var file in files)
        {
            var part = new ByteArrayContent(File.ReadAllBytes(file));
            part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            multipart.Add(part, "images", Path.GetFileName(file));
        }
        multipart.Add(new StringContent("5"), "seed");
        using var fromFiles = await server.Client.PostAsync($"{Model}/scores", multipart);
        string text = await fromFiles.Content.ReadAsStringAsync();
        Assert.True(fromFiles.StatusCode == HttpStatusCode.OK, text);
        double[] scores = [.. JsonDocument.Parse(text).RootElement.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble())];

        // The same pixels, decoded independently of the service's reader, as JSON rows [3 x 32 x 32] (RGB planes).
        var rows = files.Select(f =>
        {
            var pixels = new float[3 * 32 * 32];
            ImageDecoder.Decode(f, File.ReadAllBytes(f), 3, 32, 32, pixels);
            return pixels;
        }).ToArray();
        using var fromJson = await server.Client.PostAsJsonAsync($"{Model}/scores", new { images = rows, seed = 5 });
        double[] expected = [.. JsonDocument.Parse(await fromJson.Content.ReadAsStringAsync()).RootElement.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble())];
        Assert.Equal(expected.Length, scores.Length);
        for (int i = 0; i < scores.Length; i++) Assert.Equal(expected[i], scores[i], 1e-9 * Math.Abs(expected[i]));

        // Red and blue swapped is another image: the planes are in RGB order.
        var swapped = rows.Select(r => (float[])[.. r.AsSpan(2048, 1024), .. r.AsSpan(1024, 1024), .. r.AsSpan(0, 1024)]).ToArray();
        using var fromSwapped = await server.Client.PostAsJsonAsync($"{Model}/scores", new { images = swapped, seed = 5 });
        double[] other = [.. JsonDocument.Parse(await fromSwapped.Content.ReadAsStringAsync()).RootElement.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble())];
        Assert.True(Math.Abs(other[0] - scores[0]) > 1e-3 * Math.Abs(scores[0]), $"{other[0]} vs {scores[0]}");
    }

    [Fact]
    public async Task ReconstructionsComeBackAsAPngWhenAskedFor()
    {
        string[] files = TestJpegs(3);
        using var multipart = new MultipartFormDataContent();
        foreach (var file in files)
        {
            var part = new ByteArrayContent(File.ReadAllBytes(file));
            part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            multipart.Add(part, "images", Path.GetFileName(file));
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Model}/reconstructions") { Content = multipart };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/png"));
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        using var bitmap = SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((3 * (32 * 2 + 1) + 1, 32 * 2 + 2), (bitmap.Width, bitmap.Height)); // one row of three 32x32 images, doubled
    }

    [Fact]
    public async Task PriorSamplesComeBackAsAColourGrid()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Model}/samples") { Content = JsonContent.Create(new { count = 4, seed = 1 }) };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/png"));
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var bitmap = SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((4 * (32 * 2 + 1) + 1, 32 * 2 + 2), (bitmap.Width, bitmap.Height));
        // Some pixel of the decoded samples is not grey (r, g and b differ).
        bool colour = false;
        for (int y = 1; y < bitmap.Height - 1 && !colour; y++)
            for (int x = 1; x < bitmap.Width - 1 && !colour; x++)
            {
                var c = bitmap.GetPixel(x, y);
                colour = c.Red != c.Green || c.Green != c.Blue;
            }
        Assert.True(colour);
    }
}
