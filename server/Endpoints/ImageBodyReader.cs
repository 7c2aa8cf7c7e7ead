using LatentEbm.Data.Imaging;
using LatentEbm.Data.Sources;
using LatentEbm.Inference;
using LatentEbm.Inference.Bundles;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace LatentEbm.Server.Endpoints;

/// <summary>
/// Reads the images of <c>/latents</c>, <c>/reconstructions</c> and <c>/scores</c> when they come as
/// files rather than JSON rows: one PNG or JPEG as the whole body (<c>Content-Type: image/png</c> or
/// <c>image/jpeg</c>), or a <c>multipart/form-data</c> body with one or more image parts and an
/// optional <c>seed</c> field. With either, <c>?seed=N</c> in the query also sets the seed.
/// </summary>
/// <remarks>
/// <para>
/// Each image must already have the bundle's size H x W (the service does not resize: a wrong size is
/// a 400 naming the expected size). Its pixels become <c>x / 127.5 - 1</c>, the scale of the JSON rows
/// (mapped linearly onto the manifest's <c>pixel_range</c> when that is not [-1, 1]). Channels are
/// converted, not refused: a colour file sent to a grey model (C = 1) becomes its luminance (ITU-R
/// BT.601, as PIL's <c>convert("L")</c>), and a grey file sent to a colour model (C = 3) is expanded
/// to RGB with equal channels. Alpha is ignored. Decoding is <see cref="ImageDecoder"/>'s.
/// </para>
/// <para>
/// Image parts are the parts with a file name or with a content type other than <c>text/plain</c>;
/// their type may be <c>image/png</c>, <c>image/jpeg</c> or <c>application/octet-stream</c> (or
/// absent): the bytes decide. Images are numbered from 0 in the order sent, the order of the answer.
/// </para>
/// </remarks>
public static class ImageBodyReader
{
    private static readonly string[] ImageTypes = ["image/png", "image/jpeg"];

    /// <summary>
    /// Reads an image or multipart body (<see cref="BodyKind.Image"/>, <see cref="BodyKind.Multipart"/>) as images for
    /// <paramref name="model"/>, with the seed given in the query or the form (null when neither gives one).
    /// </summary>
    /// <param name="request">The HTTP request.</param>
    /// <param name="modelId">The model's id, for messages.</param>
    /// <param name="model">The bundle's settings: image shape [C, H, W] and pixel range.</param>
    /// <param name="maxImages">The most images one request may hold.</param>
    /// <param name="cancellation">The request's cancellation.</param>
    /// <exception cref="RequestValidationException">
    /// An image of the wrong size, a seed out of [-2^31, 2^31 - 1], a part that is not a PNG or JPEG image or is truncated (naming it),
    /// no image or more than <paramref name="maxImages"/>, a bad or repeated seed, an unknown form field,
    /// a malformed multipart body.
    /// </exception>
    /// <exception cref="UnsupportedMediaTypeException">A part of another type, or a model whose images PNG and JPEG cannot hold.</exception>
    /// <exception cref="BadHttpRequestException">The body exceeds the size limit (status 413).</exception>
    public static async Task<ImageFiles> Read(HttpRequest request, string modelId, BundleModel model, int maxImages, CancellationToken cancellation)
    {
        if (model.ImageShape is not [1 or 3, > 0, > 0])
            throw new UnsupportedMediaTypeException("Content-Type",
                $"model {modelId} takes images of shape [{string.Join(", ", model.ImageShape)}], which PNG and JPEG files cannot hold; send JSON rows", ["application/json"]);
        var media = MediaTypeHeaderValue.Parse(request.ContentType);
        var images = new List<float[]>();
        string? seed = request.Query.TryGetValue("seed", out var query) ? query.ToString() : null;
        if (media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            string? formSeed = await ReadParts(request, media, modelId, model, maxImages, images, cancellation);
            if (formSeed is not null && seed is not null)
                throw new RequestValidationException("seed", "seed is given both in the query and as a form field; give it once");
            seed ??= formSeed;
        }
        else
        {
            images.Add(Decode("$", "the image", await ReadAll(request.Body, cancellation), modelId, model));
        }
        return new ImageFiles([.. images.SelectMany(image => image)], images.Count, Seeds.Parse(seed));
    }

    /// <summary>Decodes the image parts into <paramref name="images"/>; returns the seed field, if any.</summary>
    private static async Task<string?> ReadParts(HttpRequest request, MediaTypeHeaderValue media, string modelId, BundleModel model, int maxImages,
        List<float[]> images, CancellationToken cancellation)
    {
        string boundary = HeaderUtilities.RemoveQuotes(media.Boundary).Value ?? "";
        if (boundary.Length == 0)
            throw new RequestValidationException("Content-Type", "a multipart/form-data body needs a boundary parameter in its Content-Type");
        var reader = new MultipartReader(boundary, request.Body);
        string? seed = null;
        try
        {
            while (await reader.ReadNextSectionAsync(cancellation) is { } section)
            {
                var disposition = section.GetContentDispositionHeader();
                string name = HeaderUtilities.RemoveQuotes(disposition?.Name ?? default).Value ?? "";
                string? fileName = disposition is null ? null : HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                string? type = section.ContentType is null ? null
                    : MediaTypeHeaderValue.TryParse(section.ContentType, out var partType) ? partType.MediaType.Value?.ToLowerInvariant()
                    : throw new UnsupportedMediaTypeException($"images[{images.Count}]", $"part '{name}' has the Content-Type '{section.ContentType}', which is not a media type", ImageTypes);
                bool file = !string.IsNullOrEmpty(fileName) || (type is not null && type != "text/plain");
                if (!file)
                {
                    if (name != "seed")
                        throw new RequestValidationException(name, $"unknown form field '{name}'; a multipart body takes image parts (PNG or JPEG files) and seed");
                    if (seed is not null) throw new RequestValidationException("seed", "the form gives seed twice");
                    seed = await section.ReadAsStringAsync(cancellation);
                    continue;
                }
                int index = images.Count;
                string field = $"images[{index}]";
                string label = string.IsNullOrEmpty(fileName) ? $"image {index} (part '{name}')" : $"image {index} ({fileName})";
                if (index == maxImages)
                    throw new RequestValidationException("images", $"a request holds 1..{maxImages} images; {label} is one too many");
                if (type is not null && !ImageTypes.Contains(type) && type != "application/octet-stream")
                    throw new UnsupportedMediaTypeException(field,
                        $"{label} is {section.ContentType}; image parts are image/png or image/jpeg (or application/octet-stream, told apart by their bytes)", ImageTypes);
                images.Add(Decode(field, label, await ReadAll(section.Body, cancellation), modelId, model));
            }
        }
        catch (IOException e) when (e is not BadHttpRequestException && !cancellation.IsCancellationRequested)
        {
            throw new RequestValidationException("$", $"the multipart body is malformed or ends early: {e.Message.Trim()}");
        }
        catch (InvalidDataException e)
        {
            throw new RequestValidationException("$", $"the multipart body is malformed: {e.Message}");
        }
        if (images.Count == 0)
            throw new RequestValidationException("images", "the multipart body holds no image part (a part with a file name, image/png or image/jpeg)");
        return seed;
    }

    /// <summary>One image's pixels [C, H, W] on the model's scale, or a 400 naming it.</summary>
    private static float[] Decode(string field, string label, byte[] bytes, string modelId, BundleModel model)
    {
        int channels = model.ImageShape[0], height = model.ImageShape[1], width = model.ImageShape[2];
        var pixels = new float[channels * height * width];
        try
        {
            var (w, h) = ImageDecoder.Size(label, bytes);
            if (w != width || h != height)
                throw new RequestValidationException(field,
                    $"{label} is {w}x{h}; model {modelId} expects {width}x{height} images with {channels} channel{(channels == 1 ? "" : "s")}");
            ImageDecoder.Decode(label, bytes, channels, height, width, pixels);
        }
        catch (DataFormatException e)
        {
            throw new RequestValidationException(field, $"{label} {e.Problem}");
        }
        double low = model.PixelRange[0], high = model.PixelRange[1];
        if (low != -1 || high != 1)
            for (int i = 0; i < pixels.Length; i++)
                pixels[i] = (float)(low + (pixels[i] + 1) / 2 * (high - low));
        return pixels;
    }

    private static async Task<byte[]> ReadAll(Stream body, CancellationToken cancellation)
    {
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, cancellation);
        return buffer.ToArray();
    }
}

/// <summary>Images read from files: <c>[Count, C, H, W]</c> on the model's scale, and the seed the request gave (null: none).</summary>
public sealed record ImageFiles(float[] Images, int Count, int? Seed);
