using System.CommandLine;
using LatentEbm.Data.Idx;
using LatentEbm.Inference.Bundles;
using LatentEbm.Pipelines.Evaluation;
using LatentEbm.Pipelines.Jobs;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary><c>latent-ebm evaluate anomaly</c>: the paper's protocol on a bundle, scored through the ML.NET pipeline.</summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var bundle = new Option<string>("--bundle") { Description = "Model bundle folder", Required = true };
        var dataset = new Option<string?>("--dataset") { Description = "Dataset; must be the bundle's (defaults to it)" };
        var dataPath = new Option<string?>("--data-path") { Description = "Folder of the dataset's files, as given to train --data-path (image folders; a CIFAR-10 tree elsewhere)" };
        var holdout = new Option<int?>("--holdout-digit") { Description = "Held-out digit; must be the bundle's (defaults to it)" };
        var output = new Option<string>("--out") { Description = "Report folder", Required = true };
        var dataRoot = new Option<string>("--data-dir") { Description = "Datasets folder", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var seed = new Option<int>("--seed") { Description = "Chain seed (row i draws from stream i of the seed)", DefaultValueFactory = _ => 0 };
        var gpu = new Option<int?>("--gpu-device-id") { Description = "CUDA device (default: CPU)" };
        var record = new Option<bool>("--record") { Description = "Also write these metrics, with the epoch, seed and weighting, into the bundle's manifest.json (what make paper-table does for the bundles it ships)" };
        var anomaly = new Command("anomaly", "Anomaly detection under PAPER.md's protocol on the bundle's held-out digit and split: report.json, scores.csv, pr_curve.png, and a table beside the paper's rows.")
        {
            bundle, dataset, dataPath, holdout, output, dataRoot, seed, gpu, record,
        };
        anomaly.SetAction(parse =>
        {
            try
            {
                var manifest = ModelBundle.ReadManifest(parse.GetValue(bundle)!);
                if (parse.GetValue(dataset) is string asked && manifest.Training.Dataset != asked)
                    throw new ArgumentException($"bundle was trained on {manifest.Training.Dataset}, not {asked}");
                string heldOut = manifest.Training.HoldoutDigit is int d ? $"digit {d}" : $"class {manifest.Training.HoldoutClass}";
                AnsiConsole.MarkupLineInterpolated($"Scoring the test split of {manifest.Training.Dataset} ({heldOut} held out) through the ML.NET pipeline...");
                string? path = parse.GetValue(dataPath) is string p ? Path.GetFullPath(p) : null;
                var report = AnomalyEvaluationJob.Run(parse.GetValue(bundle)!, parse.GetValue(dataRoot)!, parse.GetValue(output)!,
                    parse.GetValue(holdout), parse.GetValue(seed), parse.GetValue(gpu), parse.GetValue(record), path);
                bool paperTable = manifest.Training.Dataset == "mnist" && manifest.Training.HoldoutDigit is not null;
                var table = new Table().AddColumns("model", $"AUPRC, {heldOut}");
                table.Title = new TableTitle(paperTable ? "Beside PAPER.md's table (anomaly = positive)" : "Anomaly = positive");
                if (paperTable)
                    foreach (var (model, value) in PaperRows.For(report.HoldoutDigit))
                        table.AddRow(model, value?.ToString("F3") ?? "-");
                table.AddRow($"[bold]{Markup.Escape(manifest.Name)}: pr_auc (trapezoid, the tables' metric)[/]", $"[bold]{report.PrAuc:F3}[/]");
                table.AddRow("   average_precision (step sum)", $"{report.AveragePrecision:F3}");
                table.AddRow("   auprc_mlnet (ML.NET's estimate: ties not grouped)", $"{report.AuprcMlnet:F3}");
                table.AddRow("   auroc", $"{report.Auroc:F3}");
                table.AddRow("   prevalence (random score)", $"{report.Prevalence:F3}");
                AnsiConsole.Write(table);
                AnsiConsole.MarkupLineInterpolated($"score: {report.Score["weighting"]} ({report.Score["weighting_provenance"]})");
                if (report.Uninformative) Console.Error.WriteLine("warning: the score is constant: its AUPRC is the tie value and means nothing");
                AnsiConsole.MarkupLineInterpolated($"{report.NTest} test images scored in {report.ScoreSeconds:F0} s. Wrote report.json, scores.csv, pr_curve.png to {parse.GetValue(output)}");
                return 0;
            }
            catch (Exception e) when (e is BundleException or IdxFormatException or InvalidScoresException or ArgumentException or IOException or InvalidOperationException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return new Command("evaluate", "Evaluation jobs: anomaly detection and classifiers on exported bundles; sample quality of a run.") { anomaly, Classifier(), ClassifierCommand.SamplesCommand() };
    }

    private static Command Classifier()
    {
        var bundle = new Option<string>("--bundle") { Description = "Model bundle folder", Required = true };
        var dataset = new Option<string>("--dataset") { Description = "Dataset (must be the bundle's; the classifier job reads the MNIST family)", DefaultValueFactory = _ => "mnist" };
        var output = new Option<string>("--out") { Description = "Report folder", Required = true };
        var dataRoot = new Option<string>("--data-dir") { Description = "Datasets folder", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var trainCount = new Option<int>("--train-count") { Description = "Images from the train split", DefaultValueFactory = _ => 10_000 };
        var testCount = new Option<int>("--test-count") { Description = "Images from the test split", DefaultValueFactory = _ => 2_000 };
        var command = new Command("classifier", "FastTree (one-versus-all) on posterior latents against raw pixels and PCA to nz: accuracy, macro-F1, confusion matrices, time.")
        {
            bundle, dataset, output, dataRoot, trainCount, testCount,
        };
        command.SetAction(parse =>
        {
            try
            {
                var manifest = ModelBundle.ReadManifest(parse.GetValue(bundle)!);
                if (manifest.Training.Dataset != parse.GetValue(dataset))
                    throw new ArgumentException($"bundle was trained on {manifest.Training.Dataset}, not {parse.GetValue(dataset)}");
                var results = ClassifierEvaluationJob.Run(parse.GetValue(bundle)!, parse.GetValue(dataRoot)!, parse.GetValue(output)!,
                    parse.GetValue(trainCount), parse.GetValue(testCount));
                var table = new Table().AddColumns("features", "dims", "accuracy", "macro-F1", "seconds");
                table.Title = new TableTitle($"FastTree one-versus-all, {parse.GetValue(trainCount)} train / {parse.GetValue(testCount)} test images");
                foreach (var r in results)
                    table.AddRow(r.Features, r.Dimensions.ToString(), r.Accuracy.ToString("F3"), r.MacroF1.ToString("F3"), r.Seconds.ToString("F1"));
                AnsiConsole.Write(table);
                AnsiConsole.MarkupLineInterpolated($"Wrote classifier.json and confusion_*.png to {parse.GetValue(output)}");
                return 0;
            }
            catch (Exception e) when (e is BundleException or IdxFormatException or ArgumentException or IOException or InvalidOperationException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
