using System.Net.Http.Headers;
using System.Text.Json;
using LatentEbm.Inference.Runtime;
using LatentEbm.Server.Hosting;
using LatentEbm.Tests.Shared;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace LatentEbm.Cli.Tests;

/// <summary>
/// The documented CIFAR-10 path (README, "Colour images and your own data") on real CIFAR-10 JPEG files, shortened:
/// train the conv generator, export a verified bundle, and score a real CIFAR-10 JPEG through the service.
/// </summary>
public class Cifar10CommandTests
{
    /// <summary>A CIFAR-10 JPEG tree of real files: <paramref name="train"/> and <paramref name="test"/> images per class.</summary>
    private static string SmallCifarTree(int train, int test)
    {
        string source = Path.Combine(TestPaths.Cifar10, "cifar-10-jpg");
        string root = TestPaths.NewTempFolder();
        foreach (var (split, count) in new[] { ("train", train), ("test", test) })
            foreach (var classFolder in Directory.GetDirectories(Path.Combine(source, split)))
            {
                string target = Path.Combine(root, "cifar-10-jpg", split, Path.GetFileName(classFolder));
                Directory.CreateDirectory(target);
                foreach (var file in Directory.GetFiles(classFolder).Order(StringComparer.Ordinal).Take(count))
                    File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        return root;
    }

    [Fact]
    public async Task TrainExportAndServeScoreARealCifarJpeg()
    {
        string data = SmallCifarTree(train: 10, test: 2);
        string run = Path.Combine(TestPaths.NewTempFolder(), "cifar");
        var (code, output) = CliRunner.Run("train", "--dataset", "cifar-10", "--data-path", data, "--generator", "conv", "--ngf", "2", "--nz", "8",
            "--epochs", "1", "--batch-size", "50", "--prior-steps", "5", "--posterior-steps", "5", "--score-steps", "5", "--threads", "1", "--out", run);
        Assert.True(code == 0, output);
        Assert.Contains("100 training images, 2 iterations per epoch", output);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json"))))
        {
            Assert.Equal("cifar-10", config.RootElement.GetProperty("dataset").GetString());
            Assert.Equal("conv", config.RootElement.GetProperty("generator").GetString());
            Assert.Equal([3, 32, 32], config.RootElement.GetProperty("observation").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        }

        string models = TestPaths.NewTempFolder();
        (code, output) = CliRunner.Run("export", "--run", run, "--out", Path.Combine(models, "cifar-tiny"));
        Assert.True(code == 0, output);
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(models, "cifar-tiny", "manifest.json"))))
        {
            var m = manifest.RootElement;
            Assert.Equal(LatentEbm.Inference.Bundles.BundleManifest.CurrentSchemaVersion, m.GetProperty("schema_version").GetInt32());
            Assert.Equal("encoder", m.GetProperty("model").GetProperty("posterior_start").GetString()); // the default start: a conv encoder
            Assert.Equal([3, 32, 32], m.GetProperty("observation").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
            var checks = m.GetProperty("verification").GetProperty("checks").EnumerateArray().ToList();
            Assert.NotEmpty(checks);
            Assert.All(checks, c => Assert.True(c.GetProperty("relative_error").GetDouble() <= c.GetProperty("tolerance").GetDouble()));
        }

        var app = LatentEbmServer.Build(new ServerOptions
        {
            ModelsFolder = models,
            Urls = "http://127.0.0.1:0",
            Provider = ExecutionProvider.Cpu,
            IntraOpThreads = 1,
        });
        await app.StartAsync();
        try
        {
            string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            string jpeg = Directory.GetFiles(Path.Combine(data, "cifar-10-jpg", "test", "cat")).Order(StringComparer.Ordinal).First();
            using var body = new ByteArrayContent(File.ReadAllBytes(jpeg));
            body.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            using var response = await client.PostAsync("/v1/models/cifar-tiny/scores?seed=3", body);
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, text);
            using var scores = JsonDocument.Parse(text);
            var values = scores.RootElement.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble()).ToList();
            Assert.Single(values);
            Assert.True(double.IsFinite(values[0]) && values[0] > 0, text); // |x - g(z)|²/(2 sigma²) of a 3x32x32 image dominates

            // A grey 28x28 MNIST-sized image is refused, naming the size the model expects.
            using var wrong = new ByteArrayContent(Convert.FromHexString(TinyPng28Hex()));
            wrong.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            using var refused = await client.PostAsync("/v1/models/cifar-tiny/scores", wrong);
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("32x32", await refused.Content.ReadAsStringAsync());
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>A 28x28 grey PNG, encoded with SkiaSharp.</summary>
    private static string TinyPng28Hex()
    {
        using var bitmap = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(28, 28, SkiaSharp.SKColorType.Gray8, SkiaSharp.SKAlphaType.Opaque));
        bitmap.Erase(new SkiaSharp.SKColor(40, 40, 40));
        using var image = SkiaSharp.SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return Convert.ToHexString(png.ToArray());
    }
}
