using System.Security.Cryptography;
using System.Text.Json;
using LatentEbm.Inference.Runtime;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace LatentEbm.Inference.Bundles;

/// <summary>
/// An opened model bundle: its verified manifest and one ONNX Runtime session per graph (<see cref="OrtGraph"/>), shared
/// by all callers (sessions are thread-safe for Run; per-call buffers are the caller's).
/// </summary>
public sealed class ModelBundle : IDisposable
{
    /// <summary>The manifest's file name.</summary>
    public const string ManifestFile = "manifest.json";

    private readonly Dictionary<string, OrtGraph> graphs;

    private ModelBundle(string folder, BundleManifest manifest, Dictionary<string, OrtGraph> graphs)
    {
        Folder = folder;
        Manifest = manifest;
        this.graphs = graphs;
    }

    /// <summary>The bundle folder.</summary>
    public string Folder { get; }

    /// <summary>The verified manifest.</summary>
    public BundleManifest Manifest { get; }

    /// <summary>
    /// Opens the bundle in <paramref name="folder"/>: reads the manifest, checks its schema version,
    /// each file's presence and SHA-256, loads each graph and checks its signature against its role.
    /// </summary>
    /// <param name="folder">The bundle folder.</param>
    /// <param name="options">Session options per graph (execution provider, threads); CPU defaults when null.</param>
    /// <exception cref="BundleException">Anything wrong with the bundle; the message names the file.</exception>
    public static ModelBundle Open(string folder, Func<SessionOptions>? options = null)
    {
        var manifest = ReadManifest(folder);
        if (manifest.Weights is { } weights) Verify(Path.Combine(folder, weights.File), weights.Sha256);
        var graphs = new Dictionary<string, OrtGraph>();
        try
        {
            foreach (var file in manifest.Files)
            {
                string path = Path.Combine(folder, file.File);
                Verify(path, file.Sha256);
                OrtGraph graph;
                try
                {
                    // Loaded by path: ONNX Runtime resolves the shared external weights next to it.
                    graph = OrtGraph.Load(path, options);
                }
                catch (OnnxRuntimeException e)
                {
                    throw new BundleException(path, $"not a loadable ONNX model ({e.Message})", e);
                }
                graphs[file.Role] = graph;
                CheckSignature(path, file, manifest, graph.Session);
            }
            foreach (var role in manifest.Model.HasEncoder ? BundleRoles.All : BundleRoles.Required)
                if (!graphs.ContainsKey(role))
                    throw new BundleException(Path.Combine(folder, ManifestFile), $"no file for role {role}");
            return new ModelBundle(folder, manifest, graphs);
        }
        catch
        {
            foreach (var g in graphs.Values) g.Dispose();
            throw;
        }
    }

    /// <summary>Reads and checks <c>manifest.json</c> (schema version, roles) without loading the graphs.</summary>
    /// <exception cref="BundleException">Missing, unreadable, or of an unknown schema version.</exception>
    public static BundleManifest ReadManifest(string folder)
    {
        string path = Path.Combine(folder, ManifestFile);
        if (!System.IO.File.Exists(path)) throw new BundleException(path, "missing");
        BundleManifest manifest;
        try
        {
            using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException($"the manifest is a JSON {doc.RootElement.ValueKind}, not an object");
            if (Text.TextBundle.ObservationKind(doc.RootElement) == "text")
                throw new BundleException(path, "a text bundle (observation kind text), not an image bundle; open it with TextLatentEbmInference");
            int version = doc.RootElement.TryGetProperty("schema_version", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) ? n : 0;
            if (!BundleManifest.ReadableSchemaVersions.Contains(version))
                throw new BundleException(path, $"schema version {(v.ValueKind == JsonValueKind.Undefined ? "missing" : v.GetRawText())}; this build reads versions {string.Join(" and ", BundleManifest.ReadableSchemaVersions)}");
            manifest = doc.RootElement.Deserialize<BundleManifest>(BundleManifest.JsonOptions) ?? throw new JsonException("null manifest");
            if (version == 1 && manifest.Model is { } v1)
                manifest = manifest with { Observation = new BundleObservation("image", v1.ImageShape, v1.PixelRange) };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException)
        {
            throw new BundleException(path, $"unreadable manifest ({e.Message})", e);
        }
        string? problem = Problem(manifest);
        if (problem is not null) throw new BundleException(path, problem);
        return manifest;
    }

    /// <summary>The first thing wrong with a parsed manifest's values, or null.</summary>
    private static string? Problem(BundleManifest m)
    {
        if (m.Model is null || m.Training is null || m.Score is null || m.Files is null) return "model, training, score and files are all required";
        if (m.Files.Any(f => f is null || f.Role is null || f.File is null || f.Sha256 is null)) return "every file entry needs role, file and sha256";
        var model = m.Model;
        if (model.Nz < 1) return $"nz {model.Nz} must be positive";
        if (model.ImageShape is not { Length: 3 } || model.ImageShape.Any(d => d < 1)) return "image_shape must be [C, H, W] with positive sizes";
        if (model.PixelRange is not { Length: 2 } || !(model.PixelRange[0] < model.PixelRange[1])) return "pixel_range must be [low, high] with low < high";
        if (m.Observation is not { Kind: "image" } observation) return "observation must be given, of kind image";
        if (observation.Shape is null || !observation.Shape.SequenceEqual(model.ImageShape)) return $"observation.shape must equal model.image_shape [{string.Join(", ", model.ImageShape)}]";
        if (observation.Range is null || !observation.Range.SequenceEqual(model.PixelRange)) return $"observation.range must equal model.pixel_range [{string.Join(", ", model.PixelRange)}]";
        if (model.Generator is not ("mlp" or "conv")) return $"model.generator '{model.Generator}' must be mlp or conv";
        foreach (var (name, value) in new[] { ("sigma", model.Sigma), ("sigma0", model.Sigma0) })
            if (!(value > 0) || !double.IsFinite(value)) return $"{name} {value} must be positive and finite";
        foreach (var (name, value) in new[] { ("prior_step_size", model.PriorStepSize), ("score.step_size", m.Score.StepSize) })
            if (!(value is > 0 and <= 1)) return $"{name} {value} must lie in (0, 1]";
        foreach (var file in m.Files)
        {
            if (!BundleRoles.All.Contains(file.Role)) return $"unknown role '{file.Role}'";
            if (file.Role is BundleRoles.PriorLangevin or BundleRoles.PosteriorLangevin && file.Steps is not > 0) return $"{file.Role} needs a positive steps (K)";
            if (file.Role is BundleRoles.AmortisedPosterior && file.Steps is not >= 0) return $"{file.Role} needs steps (K) of 0 or more";
        }
        if (m.Files.Select(f => f.Role).Distinct().Count() != m.Files.Length) return "a role is listed twice";
        if (model.PosteriorStart is not ("noise" or "encoder")) return $"model.posterior_start '{model.PosteriorStart}' must be noise or encoder";
        if (model.HasEncoder)
        {
            if (m.Score.EncoderSteps is not >= 0) return "score.encoder_steps must be 0 or more when model.posterior_start is encoder";
            if (m.Files.FirstOrDefault(f => f.Role == BundleRoles.AmortisedPosterior) is { } amortised && amortised.Steps != m.Score.EncoderSteps)
                return $"{BundleRoles.AmortisedPosterior} has steps {amortised.Steps}, but score.encoder_steps is {m.Score.EncoderSteps}";
        }
        else if (m.Files.FirstOrDefault(f => BundleRoles.Amortised.Contains(f.Role)) is { } extra)
            return $"role {extra.Role} needs model.posterior_start encoder (it is {model.PosteriorStart})";
        foreach (var name in m.Files.Select(f => f.File).Append(m.Weights?.File).OfType<string>())
            if (name.Length == 0 || name.Contains('/') || name.Contains('\\') || name.StartsWith('.'))
                return $"file name '{name}' must be a plain name inside the bundle";
        return null;
    }

    /// <summary>The session of <paramref name="role"/> (see <see cref="BundleRoles"/>).</summary>
    /// <exception cref="KeyNotFoundException">Unknown role.</exception>
    public InferenceSession Session(string role) => graphs[role].Session;

    /// <summary>Whether the bundle has a graph of <paramref name="role"/> (the <see cref="BundleRoles.Amortised"/> roles are optional).</summary>
    public bool Has(string role) => graphs.ContainsKey(role);

    /// <summary>The manifest entry of <paramref name="role"/>.</summary>
    public BundleFile File(string role) => Manifest.Files.First(f => f.Role == role);

    /// <summary>
    /// Runs <paramref name="role"/>'s graph on float32 inputs (name, row-major data, dimensions) and
    /// returns every output as (data, dimensions).
    /// </summary>
    /// <exception cref="KeyNotFoundException">Unknown role.</exception>
    /// <exception cref="GraphInputException">An input does not fit the graph's signature (name, rank, fixed or batch dimension, value count); it names the input.</exception>
    /// <exception cref="BundleException">ONNX Runtime failed running the graph on inputs of the right signature (the file loaded and has the right signature, so its contents are wrong); the message names the file and says to export the bundle again.</exception>
    public IReadOnlyDictionary<string, (float[] Data, int[] Dims)> Run(string role, params (string Name, float[] Data, int[] Dims)[] inputs)
    {
        var graph = graphs[role];
        GraphInput[] values = [.. inputs.Select(i => GraphInput.Float32(i.Name, i.Data, [.. i.Dims.Select(d => (long)d)]))];
        IReadOnlyDictionary<string, GraphOutput> outputs;
        try
        {
            outputs = graph.Run(values);
        }
        catch (OnnxRuntimeException e)
        {
            throw new BundleException(Path.Combine(Folder, File(role).File),
                $"ONNX Runtime failed running this graph ({e.Message}); if the message points at the graph, the file loads but its contents are wrong: export the bundle again (latent-ebm export)", e);
        }
        return outputs.ToDictionary(o => o.Key, o => (o.Value.Floats, o.Value.Dims));
    }

    /// <summary>Checks a bundle file against its manifest SHA-256 (image and text bundles alike).</summary>
    /// <exception cref="BundleException">The file is missing or its SHA-256 differs.</exception>
    internal static void Verify(string path, string sha256)
    {
        if (!System.IO.File.Exists(path)) throw new BundleException(path, "missing");
        using var stream = System.IO.File.OpenRead(path);
        string actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
            throw new BundleException(path, $"SHA-256 mismatch (manifest {sha256}, file {actual}): the file is damaged or was changed");
    }

    private static void CheckSignature(string path, BundleFile file, BundleManifest manifest, InferenceSession session)
    {
        var (inputs, outputs) = BundleRoles.Signature(file.Role, manifest.Model.Nz, manifest.Model.ImageShape, file.Steps);
        Compare(path, "input", inputs, session.InputMetadata);
        Compare(path, "output", outputs, session.OutputMetadata);
    }

    private static void Compare(string path, string kind, TensorSignature[] expected, IReadOnlyDictionary<string, NodeMetadata> actual)
    {
        if (actual.Count != expected.Length)
            throw new BundleException(path, $"{actual.Count} {kind}s, expected {expected.Length} ({string.Join(", ", expected.Select(e => e.ToString()))})");
        foreach (var e in expected)
        {
            if (!actual.TryGetValue(e.Name, out var meta))
                throw new BundleException(path, $"no {kind} '{e.Name}' (has {string.Join(", ", actual.Keys)})");
            if (meta.ElementDataType != TensorElementType.Float)
                throw new BundleException(path, $"{kind} '{e.Name}' is {meta.ElementDataType}, expected float32");
            string[] shape = [.. meta.Dimensions.Select((d, i) => d >= 0 ? d.ToString() : meta.SymbolicDimensions[i])];
            if (!shape.SequenceEqual(e.Shape))
                throw new BundleException(path, $"{kind} '{e.Name}' has shape [{string.Join(", ", shape)}], expected [{string.Join(", ", e.Shape)}]");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var g in graphs.Values) g.Dispose();
    }
}
