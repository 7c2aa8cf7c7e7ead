using System.Security.Cryptography;
using System.Text.Json;
using Google.Protobuf;
using LatentEbm.Data.Text;
using LatentEbm.Inference.Bundles;
using LatentEbm.Inference.Text;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Onnx.Layers;
using LatentEbm.Training.Model;
using LatentEbm.Training.Runs;
using LatentEbm.Training.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Export;

/// <summary>What a text export wrote and measured.</summary>
/// <param name="Folder">The bundle folder.</param>
/// <param name="Manifest">Its manifest.</param>
/// <param name="Checks">Every parity check against TorchSharp.</param>
/// <param name="Bytes">Total size of the bundle's files.</param>
public sealed record TextExportResult(string Folder, TextBundleManifest Manifest, IReadOnlyList<ParityCheck> Checks, long Bytes);

/// <summary>
/// Exports a trained text latent EBM (PAPER.md, "Text model") as a text bundle: the nine graphs of
/// <see cref="TextBundleRoles.All"/> with their weights in one shared <c>weights.bin</c> (ONNX external data, each distinct
/// tensor once), the vocabulary as <c>vocabulary.txt</c> and <c>manifest.json</c> (schema
/// <see cref="TextBundleManifest.SchemaVersionText"/>, observation kind <c>text</c>, every file's SHA-256). The bundle is
/// built in a temporary sibling folder, opened with the inference library's loader (<see cref="TextBundle.Open"/>), verified
/// against TorchSharp (<see cref="TextBundleVerifier"/>) and only then moved into place; a failed export leaves any earlier
/// bundle at the destination as it was and no half-written folder.
/// </summary>
public static class TextBundleExporter
{
    /// <summary>Probe batch sizes of the verification.</summary>
    public static readonly int[] VerifyBatchSizes = [1, 7];

    /// <summary>
    /// Exports the text run in <paramref name="runFolder"/> at its newest checkpoint, or at epoch <paramref name="checkpointEpoch"/>.
    /// The run's corpora must still be where its config says (the run is opened as for evaluation).
    /// </summary>
    /// <param name="runFolder">A text run folder (config.json, vocabulary.txt, checkpoints/).</param>
    /// <param name="outFolder">The bundle folder to write (replaced only on success).</param>
    /// <param name="checkpointEpoch">The checkpoint's epoch, or null for the newest.</param>
    /// <exception cref="RunFolderException">No text run or checkpoint there, or no checkpoint of that epoch (the kept ones named).</exception>
    /// <exception cref="Checkpoints.CheckpointException">The checkpoint is damaged.</exception>
    /// <exception cref="BundleException">The destination cannot take a bundle.</exception>
    /// <exception cref="BundleVerificationException">A graph does not match TorchSharp.</exception>
    public static TextExportResult Export(string runFolder, string outFolder, int? checkpointEpoch = null)
    {
        BundleExporter.CheckDestination(runFolder, outFolder);
        TextTrainingRun.ReadConfig(runFolder); // a text run folder, or a clear error
        using var run = TextTrainingRun.OpenForEvaluation(runFolder);
        IReadOnlyList<TextEpochMetrics> history = run.History;
        if (checkpointEpoch is int epoch)
        {
            var kept = new TextCheckpoints(runFolder).List();
            string? folder = kept.FirstOrDefault(c => Path.GetFileName(c) == $"epoch-{epoch:D4}")
                             ?? throw new RunFolderException(runFolder, $"has no checkpoint of epoch {epoch}; kept: {string.Join(", ", kept.Select(Path.GetFileName))}");
            history = TextCheckpoints.Restore(folder, run.Trainer, run.Config.ShapeKey(), optimisers: false).History;
        }
        var last = history.LastOrDefault();
        var training = new TextBundleTraining(Path.GetFileName(run.Config.TrainPath), run.Config.MaxVocabulary, run.Config.Model.Seed,
            run.Trainer.EpochsCompleted, history.Sum(h => h.Seconds), last is not null && double.IsFinite(last.ValidationNllPerWord) ? last.ValidationNllPerWord : null,
            run.Config.Threads);
        return Export(run.Trainer.Model, run.Vocabulary, run.Config.Model, run.Config.MaxWords, training, outFolder);
    }

    /// <summary>Exports <paramref name="model"/> with its vocabulary and settings.</summary>
    /// <param name="model">The trained model (float32).</param>
    /// <param name="vocabulary">Its vocabulary (V = the decoder's).</param>
    /// <param name="settings">Its settings (sigma0, Gaussian prior, the prior chain K0 and s0, the posterior chain's step sizes).</param>
    /// <param name="maxWords">Most words per sentence (PTB: 40).</param>
    /// <param name="training">Provenance recorded in the manifest.</param>
    /// <param name="outFolder">The bundle folder to write (replaced only on success).</param>
    /// <exception cref="ArgumentException">The vocabulary's size is not the decoder's, or sizes that disagree with <paramref name="settings"/>.</exception>
    /// <exception cref="BundleException">The destination cannot take a bundle.</exception>
    /// <exception cref="BundleVerificationException">A graph does not match TorchSharp.</exception>
    public static TextExportResult Export(TextLatentEbm model, Vocabulary vocabulary, TextTrainingSettings settings, int maxWords,
        TextBundleTraining training, string outFolder) =>
        Export(model, vocabulary, settings, maxWords, training, outFolder, replaceGraph: null);

    /// <summary>
    /// <see cref="Export(TextLatentEbm, Vocabulary, TextTrainingSettings, int, TextBundleTraining, string)"/> with a hook that may
    /// replace a graph before it is written: tests ship deliberately wrong graphs through it to prove verification rejects them.
    /// </summary>
    internal static TextExportResult Export(TextLatentEbm model, Vocabulary vocabulary, TextTrainingSettings settings, int maxWords,
        TextBundleTraining training, string outFolder, Func<string, global::Onnx.ModelProto, global::Onnx.ModelProto>? replaceGraph)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWords, 1);
        var decoder = model.Decoder;
        if (vocabulary.Count != decoder.VocabularySize)
            throw new ArgumentException($"the vocabulary holds {vocabulary.Count} tokens but the decoder's V is {decoder.VocabularySize}", nameof(vocabulary));
        if (settings.Nz != model.Nz || settings.Sigma0 != model.Sigma0)
            throw new ArgumentException($"settings nz {settings.Nz}, sigma0 {settings.Sigma0} are not the model's ({model.Nz}, {model.Sigma0})", nameof(settings));
        string full = Path.GetFullPath(outFolder).TrimEnd('/');
        if (File.Exists(full)) throw new BundleException(full, "is a file; --out must name a bundle folder");
        if (Directory.Exists(full) && !File.Exists(Path.Combine(full, ModelBundle.ManifestFile)))
            throw new BundleException(full, "exists and is not a model bundle (no manifest.json); refusing to replace it");

        var weights = decoder.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().to(float32).cpu().contiguous().data<float>().ToArray());
        var prior = ModuleExporter.ToNetwork(model.Prior);
        var spec = new TextDecoderSpec(decoder.VocabularySize, decoder.Nz, decoder.EmbeddingSize, decoder.HiddenSize, weights, prior, model.Sigma0);
        // The prior graphs read only f and sigma0; the image spec they take needs a generator, never emitted here.
        var priorSpec = new LatentEbmSpec(prior, new Network([new Reshape(decoder.Nz, 1, 1)], [decoder.Nz]), 1.0, model.Sigma0);
        double[] stepSizes = settings.PosteriorStepSizes();
        int length = maxWords + 1;

        string name = Path.GetFileName(Path.GetFullPath(outFolder).TrimEnd('/'));
        var card = new Dictionary<string, string>
        {
            ["name"] = name,
            ["model"] = "latent-space EBM prior model over an LSTM text decoder (Pang et al., NeurIPS 2020; PAPER.md, Text model)",
            ["sign_convention"] = "f = negative energy; E = -f; p(z) ∝ exp(f(z)) N(0, sigma0^2 I)",
            ["langevin_update"] = "z <- z + (s^2/2) grad log p(z) + s noise[k]",
            ["observation"] = $"text, at most {maxWords} words, vocabulary.txt (V = {vocabulary.Count}); tokens <pad> 0, <unk> 1, <s> 2, </s> 3",
            ["nz"] = model.Nz.ToString(),
            ["sigma0"] = model.Sigma0.ToString("R"),
            ["prior"] = prior.Describe(),
            ["decoder"] = $"LSTM E {decoder.EmbeddingSize}, H {decoder.HiddenSize}, V {decoder.VocabularySize}; h0 = W z + b, input [embedding, z]",
            ["epochs"] = training.Epochs.ToString(),
        };
        Dictionary<string, string> Card(string role, int? steps) => new(card) { ["role"] = role, ["steps"] = steps?.ToString() ?? "" };

        var posterior = TextGraphs.PosteriorLangevin(spec, stepSizes, ChainForm.Loop, Card(TextBundleRoles.PosteriorLangevin, stepSizes.Length));
        RenameOutput(posterior, "z_K", "z_out");
        var graphs = new (string Role, int? Steps, global::Onnx.ModelProto Model)[]
        {
            (TextBundleRoles.PriorEnergy, null, LatentEbmGraphs.PriorEnergy(priorSpec, Card(TextBundleRoles.PriorEnergy, null))),
            (TextBundleRoles.PriorEnergyGrad, null, LatentEbmGraphs.PriorEnergyGrad(priorSpec, Card(TextBundleRoles.PriorEnergyGrad, null))),
            (TextBundleRoles.PriorLangevin, settings.PriorSteps, LatentEbmGraphs.PriorLangevin(priorSpec, settings.PriorSteps, ChainForm.Loop, Card(TextBundleRoles.PriorLangevin, settings.PriorSteps))),
            (TextBundleRoles.LogLikelihood, null, TextGraphs.LogLikelihood(spec, Card(TextBundleRoles.LogLikelihood, null))),
            (TextBundleRoles.LogLikelihoodGrad, null, TextGraphs.LogLikelihoodGrad(spec, Card(TextBundleRoles.LogLikelihoodGrad, null))),
            (TextBundleRoles.PosteriorLangevin, stepSizes.Length, posterior),
            (TextBundleRoles.GreedyDecode, length, TextGraphs.GreedyDecode(spec, length, Card(TextBundleRoles.GreedyDecode, length))),
            (TextBundleRoles.SampleDecode, length, TextGraphs.SampleDecode(spec, length, Card(TextBundleRoles.SampleDecode, length))),
            (TextBundleRoles.AnomalyScore, null, TextScoreGraph.AnomalyScore(spec, Card(TextBundleRoles.AnomalyScore, null))),
        };
        if (replaceGraph is not null) graphs = [.. graphs.Select(g => (g.Role, g.Steps, replaceGraph(g.Role, g.Model)))];

        string parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, $".{name}.export-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            const string weightsFile = "weights.bin", vocabularyFile = "vocabulary.txt";
            byte[] weightBytes = Onnx.ExternalWeights.Externalize(graphs.Select(g => g.Model), weightsFile);
            File.WriteAllBytes(Path.Combine(temp, weightsFile), weightBytes);
            vocabulary.Save(Path.Combine(temp, vocabularyFile));
            var files = new List<TextBundleFile>();
            foreach (var (role, steps, onnx) in graphs)
            {
                string file = role + ".onnx";
                byte[] bytes = onnx.ToByteArray();
                File.WriteAllBytes(Path.Combine(temp, file), bytes);
                var (inputs, outputs) = TextBundleRoles.Signature(role, model.Nz, steps);
                files.Add(new TextBundleFile(role, file, Sha256(bytes), inputs, outputs, steps));
            }
            var manifest = new TextBundleManifest
            {
                Name = name,
                Created = DateTimeOffset.UtcNow,
                Model = new TextBundleModel(model.Nz, decoder.VocabularySize, decoder.EmbeddingSize, decoder.HiddenSize, prior.Describe(), model.Sigma0,
                    settings.GaussianPrior, settings.PriorSteps, settings.PriorStepSize, stepSizes),
                Observation = new TextObservation("text", maxWords, vocabularyFile, Sha256(File.ReadAllBytes(Path.Combine(temp, vocabularyFile))),
                    TextVocabulary.Specials.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i)),
                Training = training,
                Files = [.. files],
                Weights = new BundleWeights(weightsFile, Sha256(weightBytes), weightBytes.Length),
            };
            string manifestPath = Path.Combine(temp, ModelBundle.ManifestFile);
            File.WriteAllText(manifestPath, JsonSerializer.Serialize(manifest, BundleManifest.JsonOptions));

            IReadOnlyList<ParityCheck> checks;
            var model64 = Float64Copy(model);
            using (var bundle = TextBundle.Open(temp))
                checks = TextBundleVerifier.Verify(bundle, model, model64, spec, VerifyBatchSizes);
            manifest = manifest with
            {
                Verification = new BundleVerification(TextBundleVerifier.Version,
                    [.. checks.Select(c => new VerificationCheck(c.Graph, c.Quantity, c.Batch, c.RelativeError, c.Tolerance))]),
            };
            File.WriteAllText(manifestPath, JsonSerializer.Serialize(manifest, BundleManifest.JsonOptions));
            long bytesTotal = Directory.GetFiles(temp).Sum(f => new FileInfo(f).Length);
            BundleExporter.Replace(temp, full);
            return new TextExportResult(full, manifest, checks, bytesTotal);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>A float64 copy of <paramref name="model"/> (decoder in evaluation mode), the verification's reference.</summary>
    internal static TextLatentEbm Float64Copy(TextLatentEbm model)
    {
        var d = model.Decoder;
        var decoder = new TextDecoder(d.VocabularySize, d.Nz, d.EmbeddingSize, d.HiddenSize, d.DropoutRate);
        var prior = new PriorEnergyMlp(model.Prior.Widths, model.Prior.ActivationName);
        using (no_grad())
        {
            var source = d.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, parameter) in decoder.named_parameters()) parameter.copy_(source[name]);
            var priorSource = model.Prior.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, parameter) in prior.named_parameters()) parameter.copy_(priorSource[name]);
        }
        decoder.to(float64);
        prior.to(float64);
        decoder.eval();
        return new TextLatentEbm(prior, decoder, model.Sigma0);
    }

    /// <summary>Renames a top-level graph output (and the node output producing it).</summary>
    private static void RenameOutput(global::Onnx.ModelProto model, string from, string to)
    {
        foreach (var node in model.Graph.Node)
            for (int i = 0; i < node.Output.Count; i++)
                if (node.Output[i] == from) node.Output[i] = to;
        foreach (var output in model.Graph.Output)
            if (output.Name == from) output.Name = to;
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
