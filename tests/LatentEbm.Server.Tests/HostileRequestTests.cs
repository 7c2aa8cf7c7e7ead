using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SkiaSharp;

namespace LatentEbm.Server.Tests;

/// <summary>
/// A generated corpus (a fixed-seed generator) of malformed and hostile requests against a real server serving image and
/// text models: every answer must be a 4xx problem document (application/problem+json with the answer's status), never a
/// 5xx or a dropped connection, and the process must serve a valid request afterwards.
/// </summary>
public class HostileRequestTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Image = "/v1/models/mnist-digit4";
    private const string Colour = "/v1/models/cifar10-conv";
    private const string Text = "/v1/models/ptb-text";

    /// <summary>One hostile request: a name for the failure message and how to make it.</summary>
    private sealed record Case(string Name, Func<HttpRequestMessage> Make);

    private static HttpRequestMessage Post(string path, byte[] body, string? type, string? accept = null)
    {
        var content = new ByteArrayContent(body);
        if (type is not null) content.Headers.TryAddWithoutValidation("Content-Type", type);
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        return request;
    }

    private static HttpRequestMessage Json(string path, string json, string? accept = null) => Post(path, Encoding.UTF8.GetBytes(json), "application/json", accept);

    private static byte[] Png(int width, int height, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        bitmap.Erase(new SKColor(90, 90, 90));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }

    private static byte[] Noise(int width, int height, SKEncodedImageFormat format, Random random)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        random.NextBytes(bitmap.GetPixelSpan());
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>The corpus: about 1,300 requests, the same every run.</summary>
    private static List<Case> Corpus()
    {
        var random = new Random(20261402);
        var cases = new List<Case>();
        void Add(string name, Func<HttpRequestMessage> make) => cases.Add(new Case(name, make));
        string[] imageRoutes = ["latents", "reconstructions", "scores"];
        string[] anyRoute = ["samples", "latents", "reconstructions", "scores"];
        string Pick(string[] from) => from[random.Next(from.Length)];
        string Row(int length, Func<string> value) => "[" + string.Join(",", Enumerable.Range(0, length).Select(_ => value())) + "]";
        string ValidRow() => Row(784, () => (random.NextDouble() * 2 - 1).ToString("F3", System.Globalization.CultureInfo.InvariantCulture));

        // 1. Wrong JSON types and out-of-range values, field by field, for image and text models.
        string[] notInt = ["\"7\"", "true", "false", "[]", "{}", "[1]", "1.5", "-0.5", "1e400", "-1e400", "1e-400", "99999999999999999999", "-99999999999999999999", "4294967296", "-2147483649", "\"NaN\"", "\"Infinity\"", "\"\""];
        string[] notBool = ["1", "0", "\"true\"", "\"yes\"", "[]", "{}", "1e400", "\"\""];
        string[] notNumber = ["\"1\"", "true", "[]", "{}", "1e400", "-1e400", "99999e999", "\"NaN\"", "-1", "100.5", "1e3"];
        foreach (var value in notInt)
        {
            foreach (var model in new[] { Image, Text })
            {
                Add($"count {value}", () => Json($"{model}/samples", $"{{\"count\": {value}}}"));
                Add($"seed {value}", () => Json($"{model}/samples", $"{{\"count\": 1, \"seed\": {value}}}"));
            }
            Add($"image seed {value}", () => Json($"{Image}/{Pick(imageRoutes)}", $"{{\"images\": [[0]], \"seed\": {value}}}"));
            Add($"text seed {value}", () => Json($"{Text}/{Pick(["latents", "scores"])}", $"{{\"sentences\": [\"a b\"], \"seed\": {value}}}"));
        }
        foreach (var count in new[] { "0", "-1", "257", "100000", "-2147483648", "2147483647" })
            foreach (var model in new[] { Image, Text })
                Add($"count {count}", () => Json($"{model}/samples", $"{{\"count\": {count}}}"));
        foreach (var value in notBool) Add($"decode {value}", () => Json($"{Image}/samples", $"{{\"decode\": {value}}}"));
        foreach (var value in notNumber) Add($"temperature {value}", () => Json($"{Text}/samples", $"{{\"temperature\": {value}}}"));
        string[] badImages = ["1", "\"x\"", "{}", "true", "[]", "[1]", "[[]]", "[{}]", "[[\"a\"]]", "[[true]]", "[[null]]", "[[[0]]]", "[[1e400]]", "[[-1e39]]", "[[5]]", "[[-3]]", "[[0, 1], [0]]", "[[0.5]]"];
        foreach (var value in badImages)
            foreach (var route in imageRoutes)
                Add($"images {value} on {route}", () => Json($"{Image}/{route}", $"{{\"images\": {value}, \"seed\": 1}}"));
        string[] badSentences = ["1", "\"a\"", "{}", "[]", "[1]", "[null]", "[[\"a\"]]", "[\"\"]", "[\"   \"]", "[\"a </s>\"]", "[\"<s> a\"]", "[true]", "[{}]"];
        foreach (var value in badSentences)
            foreach (var route in new[] { "latents", "scores" })
                Add($"sentences {value} on {route}", () => Json($"{Text}/{route}", $"{{\"sentences\": {value}}}"));
        Add("too long sentence", () => Json($"{Text}/scores", $"{{\"sentences\": [\"{string.Join(' ', Enumerable.Repeat("the", 500))}\"]}}"));
        Add("too many sentences", () => Json($"{Text}/scores", $"{{\"sentences\": [{string.Join(",", Enumerable.Repeat("\"a\"", 257))}]}}"));
        Add("too many images", () => Json($"{Image}/scores", $"{{\"images\": [{string.Join(",", Enumerable.Repeat("[0]", 300))}]}}"));
        Add("a million one-number rows", () => Json($"{Image}/scores", $"{{\"images\": [{string.Join(",", Enumerable.Repeat("[0]", 900_000))}]}}"));

        // 2. Bodies of the other kind of model, and reconstructions of a text model.
        foreach (var route in new[] { "latents", "scores" })
        {
            Add($"sentences to an image model ({route})", () => Json($"{Image}/{route}", "{\"sentences\": [\"a\"]}"));
            Add($"images to a text model ({route})", () => Json($"{Text}/{route}", "{\"images\": [[0]]}"));
        }
        Add("temperature to an image model", () => Json($"{Image}/samples", "{\"temperature\": 1}"));
        Add("decode to a text model", () => Json($"{Text}/samples", "{\"decode\": true}"));
        Add("reconstructions of a text model", () => Json($"{Text}/reconstructions", "{\"sentences\": [\"a\"]}"));

        // 3. Unknown, repeated and oddly named fields.
        for (int i = 0; i < 60; i++)
        {
            string name = new([.. Enumerable.Range(0, random.Next(1, 12)).Select(_ => (char)random.Next('a', 'z' + 1))]);
            if (name is "count" or "seed" or "decode" or "temperature" or "images" or "sentences") name += "_";
            string model = random.Next(2) == 0 ? Image : Text;
            Add($"unknown field {name}", () => Json($"{model}/{Pick(anyRoute)}", $"{{\"{name}\": 1}}"));
        }
        foreach (var field in new[] { "\"Count\": 1", "\"SEED\": 1", "\"\": 1", "\"see\\u0064\": \"x\"", "\"count\": 1, \"count\": 2", "\"seed\": 1, \"seed\": 1" })
            Add($"field {field}", () => Json($"{Image}/samples", $"{{{field}}}"));

        // 4. Truncated bodies (every prefix of a valid body is invalid JSON).
        string[] whole =
        [
            "{\"count\": 12, \"seed\": 3, \"decode\": false}",
            $"{{\"images\": [{ValidRow()}], \"seed\": 5}}",
            "{\"sentences\": [\"the market fell\", \"stocks rose sharply\"], \"seed\": 2}",
        ];
        for (int i = 0; i < 150; i++)
        {
            int which = i % 3;
            string body = whole[which];
            int cut = random.Next(0, body.Length);
            string path = which switch { 0 => $"{Pick([Image, Text])}/samples", 1 => $"{Image}/{Pick(imageRoutes)}", _ => $"{Text}/{Pick(["latents", "scores"])}" };
            Add($"truncated at {cut}", () => Json(path, body[..cut]));
        }

        // 5. Not JSON at all: deep nesting, NaN literals, invalid UTF-8, trailing data, other roots.
        foreach (int depth in new[] { 9, 64, 1000, 5000, 100_000 })
        {
            Add($"[ x {depth}", () => Json($"{Image}/scores", new string('[', depth)));
            Add($"images nested {depth}", () => Json($"{Image}/scores", "{\"images\": " + new string('[', depth) + new string(']', depth) + "}"));
            Add($"objects nested {depth}", () => Json($"{Text}/samples", string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth)));
        }
        foreach (var literal in new[] { "NaN", "Infinity", "-Infinity", "nan", "inf", "0x10", "+1", "01", ".5", "1.", "1e", "--1", "undefined", "None", "'1'" })
        {
            Add($"literal {literal} as count", () => Json($"{Image}/samples", $"{{\"count\": {literal}}}"));
            Add($"literal {literal} as pixel", () => Json($"{Image}/scores", $"{{\"images\": [[{literal}]]}}"));
            Add($"literal {literal} as temperature", () => Json($"{Text}/samples", $"{{\"temperature\": {literal}}}"));
        }
        byte[][] utf8 = [[0xFF], [0xC3, 0x28], [0xE2, 0x82], [0xF0, 0x28, 0x8C, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF]];
        foreach (var bad in utf8)
        {
            byte[] Wrap(string before, string after) => [.. Encoding.UTF8.GetBytes(before), .. bad, .. Encoding.UTF8.GetBytes(after)];
            Add("invalid UTF-8 in a sentence", () => Post($"{Text}/scores", Wrap("{\"sentences\": [\"a ", "\"]}"), "application/json"));
            Add("invalid UTF-8 in a field name", () => Post($"{Image}/samples", Wrap("{\"", "\": 1}"), "application/json"));
            Add("invalid UTF-8 as a seed string", () => Post($"{Image}/samples", Wrap("{\"seed\": \"", "\"}"), "application/json"));
            Add("invalid UTF-8 outside strings", () => Post($"{Image}/scores", Wrap("{\"images\": ", "}"), "application/json"));
        }
        foreach (var body in new[] { "", " ", "null", "1", "\"x\"", "[]", "true", "{} {}", "{\"count\": 1} x", "{,}", "{\"count\" 1}", "{count: 1}", "\uFEFF\uFEFF{}" })
            foreach (var route in anyRoute)
                Add($"body '{body}' on {route}", () => Json($"{Pick([Image, Text])}/{route}", body));

        // 6. Content types the route does not read, and Accept headers that refuse every answer.
        string[] types = ["text/plain", "text/html", "application/xml", "application/x-www-form-urlencoded", "image/gif", "image/webp", "application/octet-stream", "garbage", "a/b/c", "application/", "*/*", "multipart/mixed; boundary=x", "text/json"];
        foreach (var type in types)
        {
            Add($"{type} to image scores", () => Post($"{Image}/{Pick(imageRoutes)}", Encoding.UTF8.GetBytes("{\"images\": [[0]]}"), type));
            Add($"{type} to samples", () => Post($"{Pick([Image, Text])}/samples", Encoding.UTF8.GetBytes("{\"count\": 1}"), type));
            Add($"{type} to text scores", () => Post($"{Text}/scores", Encoding.UTF8.GetBytes("{\"sentences\": [\"a\"]}"), type));
        }
        foreach (var type in new[] { "image/png", "image/jpeg", "multipart/form-data; boundary=b" })
        {
            Add($"{type} to image samples", () => Post($"{Image}/samples", Png(28, 28), type));
            Add($"{type} to a text model", () => Post($"{Text}/{Pick(["samples", "latents", "scores"])}", Png(28, 28), type));
        }
        Add("a JSON body with no content type", () => Post($"{Image}/samples", Encoding.UTF8.GetBytes("{\"count\": 1}"), null));
        string[] refusing = ["text/html", "application/xml", "image/png;q=0, application/json;q=0", "*/*;q=0", "text/*", "image/jpeg", "application/problem+json", "application/json;q=0, image/*;q=0"];
        foreach (var accept in refusing)
        {
            Add($"Accept {accept} on image samples", () => Json($"{Image}/samples", "{\"count\": 1}", accept));
            Add($"Accept {accept} on text samples", () => Json($"{Text}/samples", "{\"count\": 1}", accept));
            Add($"Accept {accept} on image scores", () => Json($"{Image}/scores", "{\"images\": [[0]]}", accept));
            Add($"Accept {accept} on text scores", () => Json($"{Text}/scores", "{\"sentences\": [\"a\"]}", accept));
        }
        foreach (var accept in new[] { "image/png", "image/*" })
            foreach (var route in new[] { "latents", "scores" })
                Add($"Accept {accept} on {route}", () => Json($"{Image}/{route}", "{\"images\": [[0]]}", accept));

        // 7. Image files: wrong sizes, truncated, corrupted, lying headers, over the size limit.
        byte[] png28 = Png(28, 28), png32 = Png(32, 32), jpeg28 = Png(28, 28, SKEncodedImageFormat.Jpeg), jpeg32 = Png(32, 32, SKEncodedImageFormat.Jpeg);
        foreach (var (size, bytes) in new[] { ("1x1", Png(1, 1)), ("27x28", Png(27, 28)), ("32x32", png32), ("56x56", Png(56, 56)), ("28x1", Png(28, 1)) })
        {
            Add($"png {size} to mnist", () => Post($"{Image}/{Pick(imageRoutes)}", bytes, "image/png"));
            Add($"png {size} as jpeg to mnist", () => Post($"{Image}/scores", bytes, "image/jpeg"));
        }
        Add("png 28x28 to cifar", () => Post($"{Colour}/scores", png28, "image/png"));
        Add("jpeg 28x28 to cifar", () => Post($"{Colour}/latents", jpeg28, "image/jpeg"));
        Add("jpeg 32x32 to mnist", () => Post($"{Image}/scores", jpeg32, "image/jpeg"));
        byte[] noisePng = Noise(28, 28, SKEncodedImageFormat.Png, random), noiseJpeg = Noise(28, 28, SKEncodedImageFormat.Jpeg, random);
        for (int i = 0; i < 60; i++)
        {
            // Cut inside the pixel data (noise does not compress, so it fills the file; a PNG cut only in its checksums or IEND still decodes whole).
            byte[] source = i % 2 == 0 ? noisePng : noiseJpeg;
            byte[] cut = source[..random.Next(0, source.Length - 24)];
            Add($"truncated {(i % 2 == 0 ? "png" : "jpeg")} at {cut.Length}", () => Post($"{Image}/{Pick(imageRoutes)}", cut, i % 2 == 0 ? "image/png" : "image/jpeg"));
        }
        for (int i = 0; i < 60; i++)
        {
            byte[] corrupt = (byte[])png28.Clone();
            for (int k = 0; k < 1 + random.Next(8); k++) corrupt[random.Next(8, Math.Min(40, corrupt.Length))] = (byte)random.Next(256); // the header: sizes, colour type, CRC
            Add($"corrupted png header {i}", () => Post($"{Image}/scores", corrupt, "image/png"));
        }
        for (int i = 0; i < 40; i++)
        {
            byte[] noise = new byte[random.Next(0, 4000)];
            random.NextBytes(noise);
            if (i % 2 == 0 && noise.Length >= 8) new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(noise, 0);
            Add($"noise as png {i}", () => Post($"{Image}/{Pick(imageRoutes)}", noise, i % 3 == 0 ? "image/jpeg" : "image/png"));
        }
        // A PNG whose header claims 100000 x 100000 pixels: refused by its size, nothing decoded.
        byte[] giant = (byte[])png28.Clone();
        BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(100_000)).CopyTo(giant, 16);
        BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(100_000)).CopyTo(giant, 20);
        Add("png claiming 100000x100000", () => Post($"{Image}/scores", giant, "image/png"));
        foreach (int megabytes in new[] { 5, 8, 64 })
            foreach (var (path, type) in new[] { ($"{Image}/scores", "image/png"), ($"{Image}/scores", "application/json"), ($"{Text}/scores", "application/json"), ($"{Image}/samples", "application/json") })
                Add($"{megabytes} MB {type} body", () =>
                {
                    // Over the 4 MB limit; Expect: 100-continue lets the server refuse before the body is sent.
                    var request = Post(path, new byte[megabytes * 1024 * 1024], type);
                    request.Headers.ExpectContinue = true;
                    return request;
                });

        // 8. Garbage multipart bodies.
        MultipartFormDataContent Form(params (string Name, HttpContent Content, string? File)[] parts)
        {
            var form = new MultipartFormDataContent();
            foreach (var (name, content, file) in parts)
                if (file is null) form.Add(content, name); else form.Add(content, name, file);
            return form;
        }
        ByteArrayContent Typed(byte[] bytes, string type)
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.TryAddWithoutValidation("Content-Type", type);
            return content;
        }
        HttpRequestMessage Multipart(string path, HttpContent content) => new(HttpMethod.Post, path) { Content = content };
        for (int i = 0; i < 30; i++)
        {
            byte[] noise = new byte[random.Next(0, 2000)];
            random.NextBytes(noise);
            Add($"multipart noise {i}", () => Post($"{Image}/scores", noise, "multipart/form-data; boundary=xyz"));
        }
        foreach (var type in new[] { "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"\"", $"multipart/form-data; boundary={new string('b', 200)}" })
            Add($"multipart header {type}", () => Post($"{Image}/scores", Encoding.UTF8.GetBytes("--b\r\n\r\n--b--"), type));
        Add("multipart without images", () => Multipart($"{Image}/scores", Form(("seed", new StringContent("1"), null))));
        Add("multipart empty", () => Multipart($"{Image}/scores", Form()));
        Add("multipart unknown field", () => Multipart($"{Image}/scores", Form(("images", Typed(png28, "image/png"), "a.png"), ("colour", new StringContent("red"), null))));
        Add("multipart seed twice", () => Multipart($"{Image}/scores", Form(("images", Typed(png28, "image/png"), "a.png"), ("seed", new StringContent("1"), null), ("seed", new StringContent("2"), null))));
        Add("multipart seed in query and form", () => Multipart($"{Image}/scores?seed=1", Form(("images", Typed(png28, "image/png"), "a.png"), ("seed", new StringContent("1"), null))));
        foreach (var seed in new[] { "x", "", "1.5", "4294967296", "-99999999999", "1e3", "0x1" })
        {
            Add($"multipart seed '{seed}'", () => Multipart($"{Image}/scores", Form(("images", Typed(png28, "image/png"), "a.png"), ("seed", new StringContent(seed), null))));
            Add($"query seed '{seed}'", () => Post($"{Image}/scores?seed={Uri.EscapeDataString(seed)}", png28, "image/png"));
        }
        foreach (var type in new[] { "image/gif", "text/html", "garbage/", "application/json" })
            Add($"multipart part {type}", () => Multipart($"{Image}/latents", Form(("images", Typed(png28, type), "a.png"))));
        Add("multipart 300 images", () => Multipart($"{Image}/scores", Form([.. Enumerable.Range(0, 300).Select(i => ("images", (HttpContent)Typed(png28, "image/png"), (string?)$"{i}.png"))])));
        Add("multipart truncated", () => Post($"{Image}/scores", Encoding.UTF8.GetBytes("--b\r\nContent-Disposition: form-data; name=\"images\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG"), "multipart/form-data; boundary=b"));
        Add("multipart huge part headers", () => Post($"{Image}/scores", Encoding.UTF8.GetBytes($"--b\r\nX-Long: {new string('x', 40_000)}\r\n\r\nabc\r\n--b--\r\n"), "multipart/form-data; boundary=b"));
        Add("multipart wrong image size", () => Multipart($"{Image}/scores", Form(("images", Typed(png28, "image/png"), "a.png"), ("images", Typed(png32, "image/png"), "b.png"))));

        // 9. Wrong methods, unknown models and paths, bad query parameters.
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Head, new HttpMethod("PROPFIND") })
            foreach (var route in anyRoute)
                foreach (var model in new[] { Image, Text })
                    Add($"{method} {route}", () => new HttpRequestMessage(method, $"{model}/{route}"));
        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete })
        {
            Add($"{method} /v1/models", () => new HttpRequestMessage(method, "/v1/models") { Content = new StringContent("{}", Encoding.UTF8, "application/json") });
            Add($"{method} a model", () => new HttpRequestMessage(method, Image) { Content = new StringContent("{}", Encoding.UTF8, "application/json") });
        }
        string[] ids = ["nope", "MNIST-DIGIT4", "mnist-digit4%20", "..", "%2e%2e", "a%01b", "%E2%98%83", new string('x', 2000), "mnist-digit4%2Fscores", ".hidden", "mnist-digit4.old-1", "%FF"];
        foreach (var id in ids)
            foreach (var route in anyRoute)
            {
                Add($"model {id[..Math.Min(20, id.Length)]} {route}", () => Json($"/v1/models/{id}/{route}", "{\"count\": 1}"));
            }
        foreach (var id in ids) Add($"GET model {id[..Math.Min(20, id.Length)]}", () => new HttpRequestMessage(HttpMethod.Get, $"/v1/models/{id}"));
        foreach (var path in new[] { "/", "/v1", "/v2/models", "/v1/models/mnist-digit4/unknown", "/v1/models/mnist-digit4/scores/extra", "/openapi/v2.json", "/v1//models", "/%FF", "/v1/models/mnist-digit4/samples/../../.." })
            Add($"GET {path}", () => new HttpRequestMessage(HttpMethod.Get, path));
        foreach (var start in new[] { "prior", "Encoder", "", "noise&start=noise", "encoder" }) // mnist-digit4 has no encoder: start=encoder is refused too
            Add($"start={start}", () => Json($"{Image}/{Pick(imageRoutes)}?start={start}", $"{{\"images\": [{ValidRow()}]}}"));
        Add("start on a text model", () => Json($"{Text}/scores?start=noise", "{\"sentences\": [\"a\"]}"));
        return cases;
    }

    [Fact]
    public async Task EveryHostileRequestIsA4xxProblemDocumentAndTheServiceLivesOn()
    {
        var corpus = Corpus();
        Assert.True(corpus.Count >= 1000, $"{corpus.Count} cases");
        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        foreach (var c in corpus)
        {
            using var request = c.Make();
            HttpResponseMessage response;
            try
            {
                response = await server.Client.SendAsync(request);
            }
            catch (HttpRequestException e)
            {
                failures.Add($"{c.Name}: connection failed: {e.Message}");
                continue;
            }
            using (response)
            {
                int status = (int)response.StatusCode;
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                string body = await response.Content.ReadAsStringAsync();
                if (status is < 400 or >= 500)
                {
                    failures.Add($"{c.Name}: status {status}: {body[..Math.Min(300, body.Length)]}");
                    continue;
                }
                if (request.Method == HttpMethod.Head) continue; // a HEAD answer has no body
                if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                {
                    failures.Add($"{c.Name}: {status} as {response.Content.Headers.ContentType}: {body[..Math.Min(300, body.Length)]}");
                    continue;
                }
                try
                {
                    using var problem = JsonDocument.Parse(body);
                    if (problem.RootElement.GetProperty("status").GetInt32() != status) failures.Add($"{c.Name}: status {status}, problem says {problem.RootElement.GetProperty("status")}");
                }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    failures.Add($"{c.Name}: {status} with a body that is not a problem document: {body[..Math.Min(300, body.Length)]}");
                }
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {corpus.Count} failed:\n{string.Join("\n", failures.Take(40))}");
        // Each kind of refusal was reached.
        Assert.Equal([400, 404, 405, 406, 413, 415], statuses.Keys.Where(s => statuses[s] > 0));

        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/healthz")).StatusCode);
        using var valid = await server.Client.SendAsync(Json($"{Image}/samples", "{\"count\": 2, \"seed\": 1}"));
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        Assert.Equal(2, JsonDocument.Parse(await valid.Content.ReadAsStringAsync()).RootElement.GetProperty("latents").GetArrayLength());
    }
}
