using System.Text.Json;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Runtime;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace LatentEbm.Inference.Text;

/// <summary>
/// An opened text model bundle: its checked manifest, its tokenizer over the shipped vocabulary and one ONNX Runtime
/// session per graph (<see cref="OrtGraph"/>), shared by all callers (sessions are thread-safe for Run; each call's buffers are its own).
/// </summary>
public sealed class TextBundle : IDisposable
{
    private readonly Dictionary<string, OrtGraph> graphs;

    private TextBundle(string folder, TextBundleManifest manifest, TextVocabulary vocabulary, Dictionary<string, OrtGraph> graphs)
    {
        Folder = folder;
        Manifest = manifest;
        Vocabulary = vocabulary;
        this.graphs = graphs;
    }

    /// <summary>The bundle folder.</summary>
    public string Folder { get; }

    /// <summary>The checked manifest.</summary>
    public TextBundleManifest Manifest { get; }

    /// <summary>The tokenizer over the shipped vocabulary (its SHA-256 checked).</summary>
    public TextVocabulary Vocabulary { get; }

    /// <summary>
    /// Opens the text bundle in <paramref name="folder"/>: reads the manifest (schema <see cref="TextBundleManifest.SchemaVersionText"/>,
    /// observation kind <c>text</c>), checks the SHA-256 of the weights, the vocabulary and every graph, loads each graph and
    /// checks its signature against its role.
    /// </summary>
    /// <param name="folder">The bundle folder.</param>
    /// <param name="options">Session options per graph; CPU defaults when null.</param>
    /// <exception cref="BundleException">A missing, damaged or changed file, an image bundle, or a manifest that does not fit; the message names the file.</exception>
    public static TextBundle Open(string folder, Func<SessionOptions>? options = null)
    {
        var manifest = ReadManifest(folder);
        ModelBundle.Verify(Path.Combine(folder, manifest.Weights.File), manifest.Weights.Sha256);
        string vocabularyPath = Path.Combine(folder, manifest.Observation.Vocabulary);
        ModelBundle.Verify(vocabularyPath, manifest.Observation.VocabularySha256);
        var vocabulary = TextVocabulary.Load(vocabularyPath, manifest.Observation.MaxWords);
        if (vocabulary.Count != manifest.Model.VocabularySize)
            throw new BundleException(vocabularyPath, $"holds {vocabulary.Count} tokens; the manifest's model has V = {manifest.Model.VocabularySize}");
        var graphs = new Dictionary<string, OrtGraph>();
        try
        {
            foreach (var file in manifest.Files)
            {
                string path = Path.Combine(folder, file.File);
                ModelBundle.Verify(path, file.Sha256);
                try
                {
                    graphs[file.Role] = OrtGraph.Load(path, options);
                }
                catch (OnnxRuntimeException e)
                {
                    throw new BundleException(path, $"not a loadable ONNX model ({e.Message})", e);
                }
                CheckSignature(path, file, manifest, graphs[file.Role].Session);
            }
            return new TextBundle(folder, manifest, vocabulary, graphs);
        }
        catch
        {
            foreach (var g in graphs.Values) g.Dispose();
            throw;
        }
    }

    /// <summary>Reads and checks a text bundle's <c>manifest.json</c> without loading anything else.</summary>
    /// <exception cref="BundleException">Missing, unreadable, of an image bundle or of another schema version; the message names the file.</exception>
    public static TextBundleManifest ReadManifest(string folder)
    {
        string path = Path.Combine(folder, ModelBundle.ManifestFile);
        if (!System.IO.File.Exists(path)) throw new BundleException(path, "missing");
        TextBundleManifest manifest;
        try
        {
            using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException($"the manifest is a JSON {doc.RootElement.ValueKind}, not an object");
            string kind = ObservationKind(doc.RootElement);
            if (kind != "text")
                throw new BundleException(path, $"an {kind} bundle (observation kind {kind}), not a text bundle; open it with LatentEbmInference");
            int version = doc.RootElement.TryGetProperty("schema_version", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) ? n : 0;
            if (version != TextBundleManifest.SchemaVersionText)
                throw new BundleException(path, $"schema version {version}; this build reads text bundles of version {TextBundleManifest.SchemaVersionText}");
            manifest = doc.RootElement.Deserialize<TextBundleManifest>(BundleManifest.JsonOptions) ?? throw new JsonException("null manifest");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException)
        {
            throw new BundleException(path, $"unreadable manifest ({e.Message})", e);
        }
        if (Problem(manifest) is { } problem) throw new BundleException(path, problem);
        return manifest;
    }

    /// <summary>
    /// The observation kind of a manifest's JSON: its <c>observation.kind</c>, or <c>image</c> for a manifest without one
    /// (schema 1, written before text bundles existed).
    /// </summary>
    public static string ObservationKind(JsonElement manifest) =>
        manifest.TryGetProperty("observation", out var o) && o.ValueKind == JsonValueKind.Object && o.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String
            ? k.GetString()! : "image";

    private static string? Problem(TextBundleManifest m)
    {
        if (m.Model is null || m.Observation is null || m.Training is null || m.Files is null || m.Weights is null) return "model, observation, training, files and weights are all required";
        var model = m.Model;
        if (model.Nz < 1 || model.EmbeddingSize < 1 || model.HiddenSize < 1 || model.VocabularySize < 5) return "nz, embedding_size and hidden_size must be positive and vocabulary_size at least 5";
        if (!(model.Sigma0 > 0) || !double.IsFinite(model.Sigma0)) return $"sigma0 {model.Sigma0} must be positive and finite";
        if (model.PriorSteps < 0 || !(model.PriorStepSize > 0) || !double.IsFinite(model.PriorStepSize)) return "prior_steps must be 0 or more and prior_step_size positive";
        if (model.PosteriorStepSizes is not { Length: > 0 } || model.PosteriorStepSizes.Any(s => !(s > 0) || !double.IsFinite(s))) return "posterior_step_sizes must hold positive step sizes";
        if (m.Observation.MaxWords < 1) return $"observation.max_words {m.Observation.MaxWords} must be positive";
        if (m.Observation.SpecialTokens is null || TextVocabulary.Specials.Select((t, i) => m.Observation.SpecialTokens.TryGetValue(t, out int id) && id == i).Contains(false))
            return $"observation.special_tokens must map {string.Join(", ", TextVocabulary.Specials.Select((t, i) => $"{t} to {i}"))}";
        if (m.Files.Any(f => f is null || f.Role is null || f.File is null || f.Sha256 is null)) return "every file entry needs role, file and sha256";
        foreach (var role in TextBundleRoles.All)
            if (m.Files.Count(f => f.Role == role) != 1) return $"role {role} must have exactly one file";
        if (m.Files.FirstOrDefault(f => !TextBundleRoles.All.Contains(f.Role)) is { } unknown) return $"unknown role '{unknown.Role}'";
        int Steps(string role) => m.Files.First(f => f.Role == role).Steps ?? -1;
        if (Steps(TextBundleRoles.PriorLangevin) != model.PriorSteps) return $"prior_langevin must have steps {model.PriorSteps} (model.prior_steps)";
        if (Steps(TextBundleRoles.PosteriorLangevin) != model.PosteriorSteps) return $"posterior_langevin must have steps {model.PosteriorSteps} (the count of model.posterior_step_sizes)";
        foreach (var role in new[] { TextBundleRoles.GreedyDecode, TextBundleRoles.SampleDecode })
            if (Steps(role) != m.Observation.MaxWords + 1) return $"{role} must have steps {m.Observation.MaxWords + 1} (observation.max_words + 1)";
        foreach (var name in m.Files.Select(f => f.File).Append(m.Weights.File).Append(m.Observation.Vocabulary))
            if (string.IsNullOrEmpty(name) || name.Contains('/') || name.Contains('\\') || name.StartsWith('.'))
                return $"file name '{name}' must be a plain name inside the bundle";
        return null;
    }

    /// <summary>The session of <paramref name="role"/> (<see cref="TextBundleRoles"/>).</summary>
    /// <exception cref="KeyNotFoundException">Unknown role.</exception>
    public InferenceSession Session(string role) => graphs[role].Session;

    /// <summary>The manifest entry of <paramref name="role"/>.</summary>
    public TextBundleFile File(string role) => Manifest.Files.First(f => f.Role == role);

    /// <summary>
    /// Runs <paramref name="role"/>'s graph on <paramref name="inputs"/> (float32 and int64 tensors over the caller's arrays)
    /// and returns the outputs <paramref name="outputs"/> (all when none are named) by name, copied out.
    /// </summary>
    /// <exception cref="KeyNotFoundException">Unknown role.</exception>
    /// <exception cref="GraphInputException">An input does not fit the graph's signature; it names the input.</exception>
    /// <exception cref="BundleException">ONNX Runtime failed running the graph on inputs of the right signature; the message names the file.</exception>
    public IReadOnlyDictionary<string, GraphOutput> Run(string role, IReadOnlyList<GraphInput> inputs, params string[] outputs)
    {
        var graph = graphs[role];
        try
        {
            return graph.Run(inputs, outputs.Length == 0 ? null : outputs);
        }
        catch (OnnxRuntimeException e)
        {
            throw new BundleException(Path.Combine(Folder, File(role).File),
                $"ONNX Runtime failed running this graph ({e.Message}); if the message points at the graph, export the bundle again (latent-ebm text export)", e);
        }
    }

    private static void CheckSignature(string path, TextBundleFile file, TextBundleManifest manifest, InferenceSession session)
    {
        var (inputs, outputs) = TextBundleRoles.Signature(file.Role, manifest.Model.Nz, file.Steps);
        Compare(path, "input", inputs, session.InputMetadata);
        Compare(path, "output", outputs, session.OutputMetadata);
    }

    private static void Compare(string path, string kind, TextTensorSignature[] expected, IReadOnlyDictionary<string, NodeMetadata> actual)
    {
        if (actual.Count != expected.Length)
            throw new BundleException(path, $"{actual.Count} {kind}s, expected {expected.Length} ({string.Join(", ", expected.Select(e => e.ToString()))})");
        foreach (var e in expected)
        {
            if (!actual.TryGetValue(e.Name, out var meta))
                throw new BundleException(path, $"no {kind} '{e.Name}' (has {string.Join(", ", actual.Keys)})");
            var type = e.Type == "int64" ? TensorElementType.Int64 : TensorElementType.Float;
            if (meta.ElementDataType != type)
                throw new BundleException(path, $"{kind} '{e.Name}' is {meta.ElementDataType}, expected {e.Type}");
            bool fits = meta.Dimensions.Length == e.Shape.Length && e.Shape.Select((d, i) => !int.TryParse(d, out int n) || meta.Dimensions[i] == n).All(b => b);
            if (!fits)
                throw new BundleException(path, $"{kind} '{e.Name}' has shape [{string.Join(", ", meta.Dimensions)}], expected [{string.Join(", ", e.Shape)}]");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var g in graphs.Values) g.Dispose();
    }
}
