using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using LatentEbm.Pipelines.Evaluation;

namespace LatentEbm.Pipelines.Jobs;

/// <summary>
/// One trained and evaluated cell of the paper table (a run folder of <c>scripts/paper-job.sh</c>), as its
/// files record it: <c>config.json</c> and <c>metrics.csv</c> (training), <c>report.json</c> (the training
/// command's TorchSharp evaluation: every weighting and term on its own chains), and
/// <c>evaluation/report.json</c> (the exported bundle through the ML.NET job on ONNX Runtime: the headline).
/// </summary>
/// <param name="Variant"><c>ebm</c>, <c>amortised</c> (the EBM with an encoder starting the posterior chains) or <c>gaussian</c> (f = 0).</param>
/// <param name="Digit">Held-out digit.</param>
/// <param name="Seed">Training seed.</param>
/// <param name="Folder">Run folder.</param>
/// <param name="Config">The run's <c>config.json</c>.</param>
/// <param name="Evaluation">The bundle's evaluation (<c>evaluation/report.json</c>).</param>
/// <param name="Training">The training command's evaluation (<c>report.json</c>).</param>
/// <param name="Iterations">Iterations trained (<c>metrics.csv</c>).</param>
/// <param name="SampleQuality"><c>sample_quality.json</c>, when the study ran.</param>
public sealed record PaperCell(string Variant, int Digit, int Seed, string Folder, JsonObject Config, JsonObject Evaluation, JsonObject Training,
    long Iterations, JsonObject? SampleQuality)
{
    /// <summary>pr_auc of the bundle through the ML.NET job (the headline metric).</summary>
    public double PrAuc => Metric(Evaluation, "pr_auc");

    /// <summary>Average precision (step sum) of the bundle.</summary>
    public double AveragePrecision => Metric(Evaluation, "average_precision");

    /// <summary>AUROC of the bundle.</summary>
    public double Auroc => Metric(Evaluation, "auroc");

    /// <summary>Anomaly share of the test split.</summary>
    public double Prevalence => Metric(Evaluation, "prevalence");

    /// <summary>Whether the bundle's score was constant.</summary>
    public bool Uninformative => Evaluation["uninformative"]?.GetValue<bool>() ?? false;

    /// <summary>A string of the evaluation's <c>score</c> settings.</summary>
    public string Scored(string key) => Evaluation["score"]?[key]?.ToString() ?? throw new IOException($"{Folder}/evaluation/report.json: score.{key} is missing; re-run `latent-ebm evaluate anomaly`");

    /// <summary>A setting of <c>config.json</c> as text.</summary>
    public string Setting(string key) => Config[key]?.ToString() ?? throw new IOException($"{Folder}/config.json: '{key}' is missing");

    /// <summary>pr_auc per weighting on the training command's chains.</summary>
    public IReadOnlyDictionary<string, double> ByWeights =>
        Training["score"]?["pr_auc_by_weights"]?.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<double>()) ?? [];

    /// <summary>Each term ranked alone on the training command's chains.</summary>
    public IReadOnlyDictionary<string, TermRanking> ByTerm =>
        Training["ranking_by_term"]?.AsObject().ToDictionary(p => p.Key, p => new TermRanking(p.Value!["pr_auc"]!.GetValue<double>(),
            p.Value["average_precision"]!.GetValue<double>(), p.Value["uninformative"]!.GetValue<bool>())) ?? [];

    /// <summary>Training wall time in seconds.</summary>
    public double TrainSeconds => Training["train_seconds"]?.GetValue<double>() ?? double.NaN;

    /// <summary>Torch threads of the run.</summary>
    public int Threads => Training["score"]?["torch_threads"]?.GetValue<int>() ?? 0;

    /// <summary>Peak resident memory of the training process, MiB.</summary>
    public double PeakMib => Training["score"]?["peak_working_set_mib"]?.GetValue<double>() ?? double.NaN;

    /// <summary>Epochs the run was configured for.</summary>
    public int Epochs => Config["epochs"]?.GetValue<int>() ?? 0;

    private double Metric(JsonObject o, string key)
    {
        double value = o[key]?.GetValue<double>() ?? throw new IOException($"{Folder}/evaluation/report.json: '{key}' is missing");
        return value is >= 0 and <= 1 ? value : throw new IOException($"{Folder}/evaluation/report.json: '{key}' is {value}, outside [0, 1]");
    }
}

/// <summary>Reads the run folders of <c>make paper-table</c>.</summary>
public static partial class PaperRuns
{
    [GeneratedRegex(@"^(ebm|amortised|gaussian)-digit(\d)-seed(\d+)$")]
    private static partial Regex RunName();

    /// <summary>Every finished run under <paramref name="runsFolder"/> (runs without both reports are skipped).</summary>
    /// <exception cref="DirectoryNotFoundException">No such folder.</exception>
    /// <exception cref="IOException">A finished run's JSON is malformed or lacks a field (the message names the file).</exception>
    public static IReadOnlyList<PaperCell> Collect(string runsFolder)
    {
        if (!Directory.Exists(runsFolder)) throw new DirectoryNotFoundException($"{runsFolder}: no such folder; `make paper-table` writes its runs to runs/paper");
        var cells = new List<PaperCell>();
        foreach (var folder in Directory.GetDirectories(runsFolder).Order(StringComparer.Ordinal))
        {
            var m = RunName().Match(Path.GetFileName(folder));
            string evaluation = Path.Combine(folder, "evaluation", "report.json"), train = Path.Combine(folder, "report.json");
            if (!m.Success || !File.Exists(evaluation) || !File.Exists(train)) continue;
            string metrics = Path.Combine(folder, "metrics.csv"), quality = Path.Combine(folder, "sample_quality.json");
            long iterations;
            try
            {
                iterations = File.ReadAllLines(metrics).Skip(1).Where(l => l.Length > 0).Sum(l => long.Parse(l.Split(',')[1], CultureInfo.InvariantCulture));
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or FileNotFoundException)
            {
                throw new IOException($"{metrics}: unreadable ({e.Message})", e);
            }
            var cell = new PaperCell(m.Groups[1].Value, int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture),
                folder, Read(Path.Combine(folder, "config.json")), Read(evaluation), Read(train), iterations, File.Exists(quality) ? Read(quality) : null);
            _ = (cell.PrAuc, cell.AveragePrecision, cell.Auroc, cell.Prevalence, cell.Scored("weighting")); // fail here, naming the file
            cells.Add(cell);
        }
        return cells;
    }

    /// <summary>A JSON object file.</summary>
    /// <exception cref="IOException">Missing or malformed; the message names the file.</exception>
    public static JsonObject Read(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new System.Text.Json.JsonException("null");
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FileNotFoundException)
        {
            throw new IOException($"{path}: missing or malformed JSON ({e.Message})", e);
        }
    }
}
