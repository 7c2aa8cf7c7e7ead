using System.ComponentModel;

namespace LatentEbm.Server.Endpoints.Contracts;

/// <summary>The answer of <c>GET /v1/models</c>.</summary>
public sealed record ModelList([property: Description("Every loaded model, sorted by id.")] IReadOnlyList<ModelDescription> Models);

/// <summary>One loaded model.</summary>
/// <param name="Id">The bundle's folder name.</param>
/// <param name="Kind"><c>image</c> or <c>text</c>.</param>
/// <param name="Provider">Execution provider: <c>cpu</c> or <c>cuda</c>.</param>
/// <param name="Manifest">The bundle's manifest.json (an image or a text manifest).</param>
public sealed record ModelDescription(
    [property: Description("The bundle's folder name.")] string Id,
    [property: Description("image or text: which bodies /samples, /latents and /scores take.")] string Kind,
    [property: Description("Execution provider: cpu or cuda.")] string Provider,
    [property: Description("The bundle's manifest.json (image or text manifest).")] object Manifest);

/// <summary>Prior samples of an image model: latents <c>[n][nz]</c> and, unless <c>decode</c> is false, images <c>[n][C*H*W]</c> in the pixel range.</summary>
public sealed record ImageSamples(
    [property: Description("The seed used (the request's, or a fresh one).")] int Seed,
    [property: Description("Prior latents z, [count][nz].")] float[][] Latents,
    [property: Description("Decoded images g(z), [count][C*H*W] in the manifest's pixel_range; null when decode is false.")] float[][]? Images);

/// <summary>Prior samples of a text model.</summary>
public sealed record TextSamples(
    [property: Description("The seed used (the request's, or a fresh one).")] int Seed,
    [property: Description("The sampling temperature used.")] double Temperature,
    [property: Description("One per sample.")] IReadOnlyList<TextSampleAnswer> Sentences);

/// <summary>One sampled sentence.</summary>
public sealed record TextSampleAnswer(
    [property: Description("The words joined by spaces.")] string Text,
    [property: Description("The decoded words (at most the manifest's max_words).")] IReadOnlyList<string> Words,
    [property: Description("The prior latent z the sentence was decoded from, [nz].")] float[] Latent,
    [property: Description("False when decoding was cut at the word limit before </s>.")] bool Ended);

/// <summary>A sentence as the text model read it.</summary>
public sealed record SentenceRead(
    [property: Description("The sentence's tokens; words outside the vocabulary as <unk>.")] string[] Tokens,
    [property: Description("How many words were outside the vocabulary.")] int UnknownWords);

/// <summary>Posterior latents of images.</summary>
public sealed record ImageLatents(
    [property: Description("The seed used (the request's, or a fresh one).")] int Seed,
    [property: Description("Posterior latents, [n][nz].")] float[][] Latents);

/// <summary>Posterior latents of sentences, and the sentences as read.</summary>
public sealed record TextLatents(
    [property: Description("The seed used (the request's, or a fresh one).")] int Seed,
    [property: Description("Posterior latents, [n][nz].")] float[][] Latents,
    [property: Description("Each sentence as read.")] IReadOnlyList<SentenceRead> Sentences);

/// <summary>Reconstructions g(z) at the posterior latents.</summary>
public sealed record Reconstructions(
    [property: Description("The seed used (the request's, or a fresh one).")] int Seed,
    [property: Description("Reconstructed images g(z), [n][C*H*W] in the manifest's pixel_range.")] float[][] Images);

/// <summary>Anomaly scores of images (higher = more anomalous).</summary>
public sealed record ImageScores(
    [property: Description("The seed used (the request's, or a fresh one).")] int Seed,
    [property: Description("Anomaly score per image (the bundle's score: the negative log joint at the posterior latent), higher = more anomalous.")] float[] Scores);

/// <summary>Anomaly scores of sentences (the negative log joint in nats at the posterior latent, higher = more anomalous).</summary>
public sealed record TextScores(
    [property: Description("The seed used (the request's, or a fresh one).")] int Seed,
    [property: Description("Negative log joint in nats at each sentence's posterior latent, higher = more anomalous.")] float[] Scores,
    [property: Description("Each sentence as read.")] IReadOnlyList<SentenceRead> Sentences);
