using LatentEbm.Inference;
using LatentEbm.Inference.Bundles;
using LatentEbm.Server.Batching;

namespace LatentEbm.Server.Hosting;

/// <summary>
/// The bundles the service serves, loaded once at start-up; one <see cref="LatentEbmInference"/>
/// (one session per graph) per bundle, shared by all requests through its micro-batchers.
/// </summary>
public sealed class ModelRegistry : IAsyncDisposable
{
    private readonly Dictionary<string, ModelBatchers> models;

    private ModelRegistry(Dictionary<string, ModelBatchers> models) => this.models = models;

    /// <summary>Opens every bundle folder under <paramref name="options"/>.ModelsFolder.</summary>
    /// <exception cref="DirectoryNotFoundException">The models folder does not exist.</exception>
    /// <exception cref="BundleException">A bundle is damaged (the service does not start half-loaded).</exception>
    public static ModelRegistry Load(ServerOptions options, ILogger logger, ServiceMetrics? metrics = null)
    {
        if (!Directory.Exists(options.ModelsFolder))
            throw new DirectoryNotFoundException($"models folder not found: {options.ModelsFolder}");
        var models = new Dictionary<string, ModelBatchers>(StringComparer.Ordinal);
        var wait = TimeSpan.FromMilliseconds(options.BatchWaitMilliseconds);
        try
        {
            foreach (var folder in Directory.GetDirectories(options.ModelsFolder).Order(StringComparer.Ordinal))
            {
                string name = Path.GetFileName(folder);
                // Hidden folders are an export in progress (or killed), ".old-" ones a bundle being replaced.
                if (name.StartsWith('.') || name.Contains(".old-", StringComparison.Ordinal)) continue;
                if (!File.Exists(Path.Combine(folder, ModelBundle.ManifestFile))) continue;
                var model = LatentEbmInference.Open(folder, options.Execution, logger);
                models[Path.GetFileName(folder)] = new ModelBatchers(model, wait, metrics);
                logger.LogInformation("Loaded model {Id} from {Folder} on {Provider}", Path.GetFileName(folder), folder, model.Provider.Provider);
            }
        }
        catch
        {
            foreach (var m in models.Values) m.Model.Dispose();
            throw;
        }
        if (models.Count == 0)
            logger.LogWarning("No model bundle under {Folder}: --models must name the folder that holds bundle folders (each with a manifest.json)", options.ModelsFolder);
        return new ModelRegistry(models);
    }

    /// <summary>Model ids, sorted.</summary>
    public IEnumerable<string> Ids => models.Keys.Order(StringComparer.Ordinal);

    /// <summary>The model with <paramref name="id"/> and its batchers, or null.</summary>
    public ModelBatchers? Find(string id) => models.GetValueOrDefault(id);

    /// <summary>(model id, execution provider) of every loaded model.</summary>
    public IEnumerable<(string Model, string Provider)> Providers() =>
        models.Select(m => (m.Key, m.Value.Model.Provider.Provider.ToString().ToLowerInvariant()));

    /// <summary>Number of loaded models.</summary>
    public int Count => models.Count;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var m in models.Values)
        {
            await m.DisposeAsync();
            m.Model.Dispose();
        }
    }
}
