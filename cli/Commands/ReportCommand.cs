using System.CommandLine;
using System.Globalization;
using LatentEbm.Pipelines.Evaluation;
using LatentEbm.Pipelines.Jobs;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary>
/// <c>latent-ebm report paper-table</c>: collects the runs of <c>make paper-table</c> into reports/paper-table.md and .json;
/// <c>latent-ebm report cifar10</c>: the runs of <c>make cifar10</c> into reports/cifar10.md and .json.
/// </summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var runs = new Option<string>("--runs") { Description = "Folder of the paper-table runs", DefaultValueFactory = _ => "runs/paper" };
        var bundles = new Option<string>("--bundles") { Description = "Folder of the committed bundles lebm-digitN", DefaultValueFactory = _ => "models" };
        var output = new Option<string>("--out") { Description = "Report folder", DefaultValueFactory = _ => "reports" };
        var budget = new Option<string>("--budget") { Description = "The machine and wall time, quoted in the report", DefaultValueFactory = _ => $"{Environment.ProcessorCount}-core CPU machine." };
        var table = new Command("paper-table", "Write paper-table.md and paper-table.json: mean ± std AUPRC per held-out digit beside PAPER.md's rows, ablations, the Gaussian-prior comparison, the budget and the bundles.")
        {
            runs, bundles, output, budget,
        };
        table.SetAction(parse =>
        {
            try
            {
                var cells = PaperRuns.Collect(parse.GetValue(runs)!);
                var names = PaperRows.Digits
                    .Select(d => (Digit: d, Path: Path.Combine(parse.GetValue(bundles)!, $"lebm-digit{d}")))
                    .Where(b => File.Exists(Path.Combine(b.Path, "manifest.json")))
                    .ToDictionary(b => b.Digit, b => b.Path);
                PaperTableJob.Write(cells, parse.GetValue(output)!, parse.GetValue(budget)!, names);
                var shown = new Table().AddColumns("digit", "runs", Markup.Escape("pr_auc mean [95% interval]"), "LEBM (paper)", "against LEBM");
                foreach (var g in cells.Where(c => c.Variant == "ebm").GroupBy(c => c.Digit).OrderBy(g => g.Key))
                {
                    var interval = MeanInterval.Of([.. g.Select(c => c.PrAuc)]);
                    double? lebm = PaperRows.For(g.Key).First(r => r.Model.StartsWith("LEBM", StringComparison.Ordinal)).Auprc;
                    shown.AddRow(g.Key.ToString(CultureInfo.InvariantCulture), g.Count().ToString(CultureInfo.InvariantCulture), Markup.Escape(interval.Format()),
                        lebm?.ToString("F3", CultureInfo.InvariantCulture) ?? "-", lebm is double l ? interval.Compare(l) : "-");
                }
                AnsiConsole.Write(shown);
                AnsiConsole.MarkupLineInterpolated($"Wrote {Path.Combine(parse.GetValue(output)!, "paper-table.md")} and paper-table.json from {cells.Count} runs");
                return 0;
            }
            catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return new Command("report", "Reports over many runs.") { table, Cifar10(), PosteriorStart(), AmortisedTable() };
    }

    private static Command PosteriorStart()
    {
        var noise = new Option<string[]>("--noise") { Description = "Noise-started bundles, one per held-out class", Required = true, AllowMultipleArgumentsPerToken = true };
        var encoder = new Option<string[]>("--encoder") { Description = "Amortised bundles, in the same order of held-out classes", Required = true, AllowMultipleArgumentsPerToken = true };
        var fraction = new Option<double>("--validation-fraction") { Description = "The share of the training split the runs held out as validation images (make paper-table: 0.1)", DefaultValueFactory = _ => 0.1 };
        var dataDir = new Option<string>("--data-dir") { Description = "Datasets folder", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var output = new Option<string>("--out") { Description = "Report folder", DefaultValueFactory = _ => "reports" };
        var command = new Command("posterior-start", "Decide where posterior chains start by default (noise or the encoder) on normal validation images: reconstruction error and normalised log joint of noise-started against amortised bundles; writes posterior-start.md and .json.")
        {
            noise, encoder, fraction, dataDir, output,
        };
        command.SetAction(parse =>
        {
            string[] a = parse.GetValue(noise)!, b = parse.GetValue(encoder)!;
            if (a.Length != b.Length) return Fail($"--noise lists {a.Length} bundles and --encoder {b.Length}; give one of each per held-out class");
            try
            {
                var outcome = Training.Evaluation.PosteriorStartStudy.Run([.. a.Zip(b)], parse.GetValue(fraction), parse.GetValue(dataDir)!,
                    onPair: p => AnsiConsole.MarkupLineInterpolated($"held out {p.Holdout}: log joint noise {p.Noise.LogJoint:F1}, encoder {p.Encoder.LogJoint:F1}; MSE noise {p.Noise.ReconstructionMse:F4}, encoder {p.Encoder.ReconstructionMse:F4}"));
                string command = $"./latent-ebm report posterior-start --noise {string.Join(' ', a)} --encoder {string.Join(' ', b)} --validation-fraction {parse.GetValue(fraction).ToString(CultureInfo.InvariantCulture)}";
                Training.Evaluation.PosteriorStartStudy.Write(outcome, parse.GetValue(output)!, command);
                AnsiConsole.MarkupLineInterpolated($"Chosen: posterior_start {outcome.Chosen}; wrote {Path.Combine(parse.GetValue(output)!, "posterior-start.md")}");
                return 0;
            }
            catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException or Inference.Bundles.BundleException)
            {
                return Fail(e.Message);
            }
        });
        return command;
    }

    private static Command AmortisedTable()
    {
        var runs = new Option<string>("--runs") { Description = "Folder of the paper-table runs (amortised-digitD-seedS)", DefaultValueFactory = _ => "runs/paper" };
        var noiseStarted = new Option<string?>("--noise-started") { Description = "An earlier paper-table.json whose noise-started rows are shown beside (read, not retyped)", DefaultValueFactory = _ => "reports/paper-table.json" };
        var output = new Option<string>("--out") { Description = "Report folder", DefaultValueFactory = _ => "reports" };
        var budget = new Option<string>("--budget") { Description = "The machine and wall time, quoted in the report", DefaultValueFactory = _ => $"{Environment.ProcessorCount}-core CPU machine." };
        var command = new Command("amortised-table", "Write amortised-table.md and .json: the MNIST anomaly table of the amortised runs (mean and 95% interval over seeds) beside PAPER.md's rows and the noise-started rows, with issue 12's targets checked.")
        {
            runs, noiseStarted, output, budget,
        };
        command.SetAction(parse =>
        {
            try
            {
                string? previous = parse.GetValue(noiseStarted) is string p && File.Exists(p) ? p : null;
                AmortisedTableJob.Write(PaperRuns.Collect(parse.GetValue(runs)!), previous, parse.GetValue(output)!, parse.GetValue(budget)!);
                AnsiConsole.MarkupLineInterpolated($"Wrote {Path.Combine(parse.GetValue(output)!, "amortised-table.md")} and amortised-table.json");
                return 0;
            }
            catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
            {
                return Fail(e.Message);
            }
        });
        return command;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }

    private static Command Cifar10()
    {
        var runs = new Option<string[]>("--runs") { Description = "Run folders (EBM and Gaussian prior)", Required = true, AllowMultipleArgumentsPerToken = true };
        var bundle = new Option<string?>("--bundle") { Description = "The EBM run's exported bundle" };
        var classifier = new Option<string?>("--classifier") { Description = "The feature classifier's folder" };
        var output = new Option<string>("--out") { Description = "Report folder", DefaultValueFactory = _ => "reports" };
        var budget = new Option<string>("--budget") { Description = "The machine and wall time, quoted in the report", DefaultValueFactory = _ => $"{Environment.ProcessorCount}-core CPU machine." };
        var command = new Command("cifar10", "Write cifar10.md and cifar10.json: reconstruction MSE, Fréchet distance and KID (classifier features, a proxy) of the EBM-prior and Gaussian-prior runs, the bundle's verification, the budget.")
        {
            runs, bundle, classifier, output, budget,
        };
        command.SetAction(parse =>
        {
            try
            {
                Cifar10Report.Write(parse.GetValue(runs)!, parse.GetValue(bundle), parse.GetValue(classifier), parse.GetValue(output)!, parse.GetValue(budget)!);
                AnsiConsole.MarkupLineInterpolated($"Wrote {Path.Combine(parse.GetValue(output)!, "cifar10.md")} and cifar10.json");
                return 0;
            }
            catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
