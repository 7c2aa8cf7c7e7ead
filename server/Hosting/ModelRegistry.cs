using System.Text.Json;
using LatentEbm.Inference;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Text;
using LatentEbm.Server.Batching;

namespace LatentEbm.Server.Hosting;

/// <summary>
/// The bundles the service serves, loaded once at start-up. An image bundle gets one <see cref="LatentEbmInference"/>
/// (one session per graph), shared by all requests through its micro-batchers; a text bundle (manifest
/// <c>observation.kind</c> <c>text</c>) one <see cref="TextLatentEbmInference"/>, called directly by the requests
/// (it is thread-safe; text requests are not micro-batched).
/// </summary>
public sealed class ModelRegistry : IAsyncDisposable
{
    private readonly Dictionary<string, ModelBatchers> models;
    private readonly Dictionary<string, TextLatentEbmInference> textModels;
    private readonly Dictionary<string, QueuedRows> textRows;

    private ModelRegistry(Dictionary<string, ModelBatchers> models, Dictionary<string, TextLatentEbmInference> textModels, int maxQueuedRows)
    {
        this.models = models;
        this.textModels = textModels;
        textRows = textModels.Keys.ToDictionary(id => id, id => new QueuedRows(id, maxQueuedRows), StringComparer.Ordinal);
    }

    /// <summary>Opens every bundle folder under <paramref name="options"/>.ModelsFolder, image or text by its manifest's observation kind.</summary>
    /// <exception cref="DirectoryNotFoundException">The models folder does not exist.</exception>
    /// <exception cref="BundleException">A bundle is damaged (the service does not start half-loaded).</exception>
    public static ModelRegistry Load(ServerOptions options, ILogger logger, ServiceMetrics? metrics = null)
    {
        if (!Directory.Exists(options.ModelsFolder))
            throw new DirectoryNotFoundException($"models folder not found: {options.ModelsFolder}");
        var models = new Dictionary<string, ModelBatchers>(StringComparer.Ordinal);
        var textModels = new Dictionary<string, TextLatentEbmInference>(StringComparer.Ordinal);
        var wait = TimeSpan.FromMilliseconds(options.BatchWaitMilliseconds);
        try
        {
            foreach (var folder in Directory.GetDirectories(options.ModelsFolder).Order(StringComparer.Ordinal))
            {
                string name = Path.GetFileName(folder);
                // Hidden folders are an export in progress (or killed), ".old-" ones a bundle being replaced.
                if (name.StartsWith('.') || name.Contains(".old-", StringComparison.Ordinal)) continue;
                if (!File.Exists(Path.Combine(folder, ModelBundle.ManifestFile))) continue;
                if (IsText(folder))
                {
                    var text = TextLatentEbmInference.Open(folder, options.Execution, logger);
                    textModels[name] = text;
                    logger.LogInformation("Loaded text model {Id} from {Folder} on {Provider}", name, folder, text.Provider.Provider);
                    continue;
                }
                var model = LatentEbmInference.Open(folder, options.Execution, logger);
                models[Path.GetFileName(folder)] = new ModelBatchers(name, model, wait, options.MaxQueuedRowsPerModel, metrics);
                logger.LogInformation("Loaded model {Id} from {Folder} on {Provider}", Path.GetFileName(folder), folder, model.Provider.Provider);
            }
        }
        catch
        {
            foreach (var m in models.Values) m.Model.Dispose();
            foreach (var t in textModels.Values) t.Dispose();
            throw;
        }
        if (models.Count + textModels.Count == 0)
            logger.LogWarning("No model bundle under {Folder}: --models must name the folder that holds bundle folders (each with a manifest.json)", options.ModelsFolder);
        return new ModelRegistry(models, textModels, options.MaxQueuedRowsPerModel);
    }

    /// <summary>
    /// Whether the bundle in <paramref name="folder"/> is a text bundle (<see cref="TextBundle.ObservationKind"/>). A manifest
    /// that is not JSON is left to the image reader, whose <see cref="BundleException"/> names the file.
    /// </summary>
    private static bool IsText(string folder)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, ModelBundle.ManifestFile)));
            return doc.RootElement.ValueKind == JsonValueKind.Object && TextBundle.ObservationKind(doc.RootElement) == "text";
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Model ids (image and text), sorted.</summary>
    public IEnumerable<string> Ids => models.Keys.Concat(textModels.Keys).Order(StringComparer.Ordinal);

    /// <summary>The image model with <paramref name="id"/> and its batchers, or null (also for a text model).</summary>
    public ModelBatchers? Find(string id) => models.GetValueOrDefault(id);

    /// <summary>The text model with <paramref name="id"/>, or null (also for an image model).</summary>
    public TextLatentEbmInference? FindText(string id) => textModels.GetValueOrDefault(id);

    /// <summary>
    /// The budget of rows queued or running on the model <paramref name="id"/> (<see cref="ServerOptions.MaxQueuedRowsPerModel"/>),
    /// image or text, or null for an unknown id.
    /// </summary>
    public QueuedRows? QueuedRowsOf(string id) => models.TryGetValue(id, out var image) ? image.QueuedRows : textRows.GetValueOrDefault(id);

    /// <summary>(model id, execution provider) of every loaded model.</summary>
    public IEnumerable<(string Model, string Provider)> Providers() =>
        models.Select(m => (m.Key, m.Value.Model.Provider.Provider.ToString().ToLowerInvariant()))
            .Concat(textModels.Select(t => (t.Key, t.Value.Provider.Provider.ToString().ToLowerInvariant())));

    /// <summary>(model id, requests, rows) waiting in each image model's micro-batchers (text models are not micro-batched).</summary>
    public IEnumerable<(string Model, int Requests, int Rows)> Queues() =>
        models.Select(m =>
        {
            var (requests, rows) = m.Value.Queued();
            return (m.Key, requests, rows);
        });

    /// <summary>Number of loaded models (image and text).</summary>
    public int Count => models.Count + textModels.Count;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var m in models.Values)
        {
            await m.DisposeAsync();
            m.Model.Dispose();
        }
        foreach (var t in textModels.Values) t.Dispose();
    }
}
