using System.Security.Cryptography;
using System.Text.Json;
using Google.Protobuf;
using LatentEbm.Inference.Bundles;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Training.Checkpoints;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Model;
using LatentEbm.Training.Runs;
using LatentEbm.Training.Runtime;
using TorchSharp;

namespace LatentEbm.Training.Export;

/// <summary>What an export wrote and measured.</summary>
/// <param name="Folder">The bundle folder.</param>
/// <param name="Manifest">Its manifest.</param>
/// <param name="Checks">Every parity check against TorchSharp.</param>
/// <param name="Bytes">Total size of the bundle's files.</param>
public sealed record ExportResult(string Folder, BundleManifest Manifest, IReadOnlyList<ParityCheck> Checks, long Bytes);

/// <summary>
/// Exports a training run's newest checkpoint as a model bundle: the six graphs of
/// <see cref="BundleRoles.Required"/> and, for a run with an encoder (<see cref="TrainingConfig.Amortised"/>), the two of
/// <see cref="BundleRoles.Amortised"/> (the encoder, and the posterior chain of <see cref="AnomalyScoreConfig.EncoderSteps"/>
/// steps from its mean); their weights (by default one <c>weights.bin</c> holding every distinct weight
/// tensor once, ONNX external data shared by the graphs; or inside each graph, see <see cref="WeightStorage"/>),
/// and <c>manifest.json</c>; each ONNX file carries the model card as <c>metadata_props</c>. The bundle is built in a temporary sibling folder, opened with the same
/// loader users get, verified against TorchSharp (<see cref="BundleVerifier"/>), and only then moved
/// into place; a failed export leaves any earlier bundle at the destination as it was.
/// </summary>
public static class BundleExporter
{
    /// <summary>Exports <paramref name="runFolder"/> into <paramref name="outFolder"/> with the weights in one shared <c>weights.bin</c>.</summary>
    /// <param name="runFolder">A run folder with config.json and at least one checkpoint.</param>
    /// <param name="outFolder">The bundle folder to write (replaced only on success).</param>
    /// <param name="form">Langevin chains as a Loop node or unrolled (see README for the measurement).</param>
    /// <param name="verifyBatchSizes">Batch sizes of the parity checks.</param>
    /// <exception cref="RunFolderException">No run, or no checkpoint.</exception>
    /// <exception cref="CheckpointException">The checkpoint is damaged.</exception>
    /// <exception cref="Onnx.OnnxExportException">A layer cannot be exported.</exception>
    /// <exception cref="BundleVerificationException">A graph does not match TorchSharp.</exception>
    public static ExportResult Export(string runFolder, string outFolder, ChainForm form, int[] verifyBatchSizes) =>
        Export(runFolder, outFolder, form, verifyBatchSizes, WeightStorage.External, replaceGraph: null);

    /// <summary>
    /// Exports <paramref name="runFolder"/> into <paramref name="outFolder"/> with the weights stored as
    /// <paramref name="weights"/> says; the bundle is opened and verified the same way either way.
    /// </summary>
    /// <param name="runFolder">A run folder with config.json and at least one checkpoint.</param>
    /// <param name="outFolder">The bundle folder to write (replaced only on success).</param>
    /// <param name="form">Langevin chains as a Loop node or unrolled (see README for the measurement).</param>
    /// <param name="verifyBatchSizes">Batch sizes of the parity checks.</param>
    /// <param name="weights">One shared external <c>weights.bin</c> (manifest <c>weights</c> names it) or every graph self-contained (manifest <c>weights</c> null).</param>
    /// <exception cref="RunFolderException">No run, or no checkpoint.</exception>
    /// <exception cref="CheckpointException">The checkpoint is damaged.</exception>
    /// <exception cref="Onnx.OnnxExportException">A layer cannot be exported.</exception>
    /// <exception cref="BundleVerificationException">A graph does not match TorchSharp.</exception>
    public static ExportResult Export(string runFolder, string outFolder, ChainForm form, int[] verifyBatchSizes, WeightStorage weights) =>
        Export(runFolder, outFolder, form, verifyBatchSizes, weights, replaceGraph: null);

    /// <summary>
    /// <see cref="Export(string, string, ChainForm, int[], WeightStorage)"/> with a hook that may replace a graph before it
    /// is written (role, spec and the built graph in; the graph to ship out): tests ship deliberately wrong
    /// graphs through it to prove that verification rejects them.
    /// </summary>
    internal static ExportResult Export(string runFolder, string outFolder, ChainForm form, int[] verifyBatchSizes,
        Func<string, LatentEbmSpec, global::Onnx.ModelProto, global::Onnx.ModelProto>? replaceGraph) =>
        Export(runFolder, outFolder, form, verifyBatchSizes, WeightStorage.External, replaceGraph);

    private static ExportResult Export(string runFolder, string outFolder, ChainForm form, int[] verifyBatchSizes, WeightStorage storage,
        Func<string, LatentEbmSpec, global::Onnx.ModelProto, global::Onnx.ModelProto>? replaceGraph)
    {
        if (!Enum.IsDefined(storage)) throw new ArgumentOutOfRangeException(nameof(storage), storage, "weights must be external or embedded");
        CheckDestination(runFolder, outFolder);
        TrainingRun.ReadConfig(runFolder); // a run folder, or a clear error
        ConvolutionSelfCheck.EnsurePasses(); // the verification's TorchSharp side must be right
        string checkpoint = new CheckpointStore(runFolder).Latest()
                            ?? throw new RunFolderException(runFolder, "has no checkpoint to export; train at least one epoch");
        // The networks are built from the configuration stored in the checkpoint, the one they were trained with.
        var config = CheckpointStore.ReadManifest(checkpoint).Config;
        var (prior, generator, model) = ModelFactory.Create(config, torch.CPU);
        using var priorScope = prior;
        using var generatorScope = generator;
        using var encoderScope = model.Encoder;
        var checkpointManifest = CheckpointStore.RestoreNetworks(checkpoint, prior, generator, model.Encoder);
        var (prior64, generator64, model64) = ModelFactory.Create(config, torch.CPU);
        using var prior64Scope = prior64;
        using var generator64Scope = generator64;
        using var encoder64Scope = model64.Encoder;
        CheckpointStore.RestoreNetworks(checkpoint, prior64, generator64, model64.Encoder);
        prior64.to(torch.float64);
        generator64.to(torch.float64);
        model64.Encoder?.to(torch.float64);
        var spec = new LatentEbmSpec(ModuleExporter.ToNetwork(prior), ModuleExporter.Generator(generator), config.Sigma, config.Sigma0)
        {
            Encoder = model.Encoder is { } encoder ? ModuleExporter.ToNetwork(encoder) : null,
        };
        var calibration = Evaluation.ScoreCalibration.Read(runFolder);
        if (config.Score.Weights == ScoreWeighting.Standardized && calibration?.Epoch is int calibrated && calibrated != checkpointManifest.Epoch)
            throw new RunFolderException(runFolder, $"{Evaluation.ScoreCalibration.FileName} was measured after epoch {calibrated}, but the newest checkpoint is epoch {checkpointManifest.Epoch}; finish the run (train --resume) so that it is measured again");
        var scoreWeights = config.Score.ResolveWeights(config.Sigma, config.Sigma0, calibration);

        string name = Path.GetFileName(Path.GetFullPath(outFolder).TrimEnd('/'));
        var card = new Dictionary<string, string>
        {
            ["name"] = name,
            ["model"] = "latent-space EBM prior model (Pang et al., NeurIPS 2020)",
            ["sign_convention"] = "f = negative energy; E = -f; p(z) ∝ exp(f(z)) N(0, sigma0^2 I)",
            ["langevin_update"] = "z <- z + (s^2/2) grad log p(z) + s noise[k]",
            ["nz"] = config.Nz.ToString(),
            ["sigma"] = config.Sigma.ToString("R"),
            ["sigma0"] = config.Sigma0.ToString("R"),
            ["dataset"] = Data.Sources.SettingNames.Of(config.Dataset),
            ["holdout_digit"] = config.HoldoutDigit?.ToString() ?? "none",
            ["holdout_class"] = config.HoldoutClass ?? "none",
            ["observation"] = $"{Data.Sources.SettingNames.Of(config.Observation.Kind)} {config.Observation.ShapeText} on [{config.Observation.Range[0]}, {config.Observation.Range[1]}]",
            ["generator_kind"] = Data.Sources.SettingNames.Of(config.Generator),
            ["pixel_range"] = $"[{config.Observation.Range[0]}, {config.Observation.Range[1]}]",
            ["prior"] = spec.Prior.Describe(),
            ["generator"] = spec.Generator.Describe(),
            ["epochs"] = checkpointManifest.Epoch.ToString(),
            ["posterior_start"] = Data.Sources.SettingNames.Of(config.PosteriorStart),
        };
        if (spec.Encoder is { } encoderNetwork) card["encoder"] = encoderNetwork.Describe();
        Dictionary<string, string> Card(string role, int? steps) =>
            new(card) { ["role"] = role, ["steps"] = steps?.ToString() ?? "" };

        var graphs = new (string Role, int? Steps, global::Onnx.ModelProto Model)[]
        {
            (BundleRoles.PriorEnergy, null, LatentEbmGraphs.PriorEnergy(spec, Card(BundleRoles.PriorEnergy, null))),
            (BundleRoles.PriorEnergyGrad, null, LatentEbmGraphs.PriorEnergyGrad(spec, Card(BundleRoles.PriorEnergyGrad, null))),
            (BundleRoles.PriorLangevin, config.PriorSteps, LatentEbmGraphs.PriorLangevin(spec, config.PriorSteps, form, Card(BundleRoles.PriorLangevin, config.PriorSteps))),
            (BundleRoles.Decoder, null, LatentEbmGraphs.Decoder(spec, Card(BundleRoles.Decoder, null))),
            (BundleRoles.PosteriorLangevin, config.Score.Steps, LatentEbmGraphs.PosteriorLangevin(spec, config.Score.Steps, form, Card(BundleRoles.PosteriorLangevin, config.Score.Steps))),
            (BundleRoles.AnomalyScore, null, LatentEbmGraphs.AnomalyScore(spec, scoreWeights.Reconstruction, scoreWeights.Energy, scoreWeights.LatentNorm, Card(BundleRoles.AnomalyScore, null))),
        };
        if (spec.Encoder is not null)
            graphs =
            [
                .. graphs,
                (BundleRoles.Encoder, null, LatentEbmGraphs.Encoder(spec, Card(BundleRoles.Encoder, null))),
                (BundleRoles.AmortisedPosterior, config.Score.EncoderSteps,
                    LatentEbmGraphs.AmortisedPosterior(spec, config.Score.EncoderSteps, form, Card(BundleRoles.AmortisedPosterior, config.Score.EncoderSteps))),
            ];
        if (replaceGraph is not null)
            graphs = [.. graphs.Select(g => (g.Role, g.Steps, replaceGraph(g.Role, spec, g.Model)))];

        string full = Path.GetFullPath(outFolder).TrimEnd('/');
        string parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, $".{name}.export-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            BundleWeights? weightsEntry = null;
            if (storage == WeightStorage.External)
            {
                const string weightsFile = "weights.bin";
                byte[] weightBytes = Onnx.ExternalWeights.Externalize(graphs.Select(g => g.Model), weightsFile);
                File.WriteAllBytes(Path.Combine(temp, weightsFile), weightBytes);
                weightsEntry = new BundleWeights(weightsFile, Convert.ToHexStringLower(SHA256.HashData(weightBytes)), weightBytes.Length);
            }
            var files = new List<BundleFile>();
            foreach (var (role, steps, onnx) in graphs)
            {
                string file = role + ".onnx";
                byte[] bytes = onnx.ToByteArray();
                File.WriteAllBytes(Path.Combine(temp, file), bytes);
                var (inputs, outputs) = BundleRoles.Signature(role, config.Nz, config.Observation.Shape, steps);
                files.Add(new BundleFile(role, file, Convert.ToHexStringLower(SHA256.HashData(bytes)), inputs, outputs, steps));
            }
            var manifest = new BundleManifest
            {
                Name = name,
                Created = DateTimeOffset.UtcNow,
                Model = new BundleModel(config.Nz, config.Observation.Shape, config.Sigma, config.Sigma0,
                    config.PriorSteps, config.PriorStepSize, config.PosteriorSteps, config.PosteriorStepSize, Data.Sources.SettingNames.Of(config.PriorActivation),
                    spec.Prior.Describe(), spec.Generator.Describe(), config.Observation.Range)
                {
                    Generator = Data.Sources.SettingNames.Of(config.Generator),
                    PosteriorStart = Data.Sources.SettingNames.Of(config.PosteriorStart),
                    EncoderLayers = spec.Encoder?.Describe(),
                },
                Observation = new BundleObservation(Data.Sources.SettingNames.Of(config.Observation.Kind), config.Observation.Shape, config.Observation.Range),
                Training = new BundleTraining(Data.Sources.SettingNames.Of(config.Dataset), config.HoldoutDigit, config.SplitSeed, config.Seed, checkpointManifest.Epoch,
                    checkpointManifest.History.Sum(h => h.Seconds))
                {
                    HoldoutClass = config.HoldoutClass,
                },
                Score = new BundleScore(scoreWeights.Reconstruction, scoreWeights.Energy, scoreWeights.LatentNorm, config.Score.Steps, config.Score.StepSize, config.Score.Noise, Data.Sources.SettingNames.Of(config.Score.Weights))
                {
                    EncoderSteps = config.Amortised ? config.Score.EncoderSteps : null,
                },
                Files = [.. files],
                Weights = weightsEntry,
            };
            string manifestPath = Path.Combine(temp, ModelBundle.ManifestFile);
            File.WriteAllText(manifestPath, JsonSerializer.Serialize(manifest, BundleManifest.JsonOptions));

            IReadOnlyList<ParityCheck> checks;
            using (var bundle = ModelBundle.Open(temp))
                checks = BundleVerifier.Verify(bundle, model, model64, spec, verifyBatchSizes);
            manifest = manifest with
            {
                Verification = new BundleVerification(BundleVerifier.Version,
                    [.. checks.Select(c => new VerificationCheck(c.Graph, c.Quantity, c.Batch, c.RelativeError, c.Tolerance))]),
            };
            File.WriteAllText(manifestPath, JsonSerializer.Serialize(manifest, BundleManifest.JsonOptions));

            long bytesTotal = Directory.GetFiles(temp).Sum(f => new FileInfo(f).Length);
            Replace(temp, full);
            return new ExportResult(full, manifest, checks, bytesTotal);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>
    /// Refuses a destination that is a file, or an existing folder that is not a model bundle (it would
    /// be replaced): only a missing folder or an earlier bundle may be written over.
    /// </summary>
    /// <exception cref="BundleException">The destination cannot take a bundle.</exception>
    internal static void CheckDestination(string runFolder, string outFolder)
    {
        string full = Path.GetFullPath(outFolder).TrimEnd('/');
        if (File.Exists(full)) throw new BundleException(full, "is a file; --out must name a bundle folder");
        string run = Path.GetFullPath(runFolder).TrimEnd('/');
        if (run == full || run.StartsWith(full + "/", StringComparison.Ordinal))
            throw new BundleException(full, $"holds the run {runFolder}; export into a folder of its own");
        if (Directory.Exists(full) && !File.Exists(Path.Combine(full, ModelBundle.ManifestFile)))
            throw new BundleException(full, "exists and is not a model bundle (no manifest.json); refusing to replace it");
    }

    /// <summary>Moves the verified folder into place; an existing bundle is set aside first and removed only after.</summary>
    internal static void Replace(string temp, string destination)
    {
        string? old = null;
        if (Directory.Exists(destination))
        {
            old = destination + $".old-{Guid.NewGuid():N}";
            Directory.Move(destination, old);
        }
        try
        {
            Directory.Move(temp, destination);
        }
        catch
        {
            if (old is not null) Directory.Move(old, destination);
            throw;
        }
        if (old is not null) Directory.Delete(old, recursive: true);
    }
}
