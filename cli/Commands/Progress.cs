using LatentEbm.Data.Datasets;
using LatentEbm.Pipelines.Evaluation;
using LatentEbm.Training.Evaluation;
using LatentEbm.Training.Runs;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary>Spectre.Console progress bars and tables around the library calls.</summary>
internal static class Progress
{
    public static void Train(TrainingRun run, CancellationToken cancellation)
    {
        int perEpoch = run.Trainer.IterationsPerEpoch;
        long total = (long)perEpoch * run.Config.Epochs;
        long done = (long)perEpoch * run.Trainer.EpochsCompleted;
        if (done >= total)
        {
            run.TrainToEnd(cancellation: cancellation); // nothing to train; writes the pictures if they are missing
            return;
        }
        var started = DateTime.UtcNow;
        long startIteration = done;
        NewProgress().Start(ctx =>
        {
            var task = ctx.AddTask("training", maxValue: total);
            task.Value = done;
            run.TrainToEnd(
                onIteration: s =>
                {
                    double rate = (s.Iteration - startIteration) / Math.Max(1e-9, (DateTime.UtcNow - started).TotalSeconds);
                    task.Description = $"epoch {s.Epoch}/{run.Config.Epochs} it {s.Iteration} f(post) {s.FPosterior,7:F3} f(prior) {s.FPrior,7:F3} mse {s.ReconstructionMse:F4} {rate:F1} it/s";
                    task.Value = s.Iteration;
                },
                onEpoch: m => AnsiConsole.MarkupLineInterpolated(
                    $"epoch {m.Epoch}: f(post) {m.FPosterior:F3}, f(prior) {m.FPrior:F3}, reconstruction MSE {m.ReconstructionMse:F4}, {m.Seconds / m.Iterations:F3} s/iteration (prior chain {m.PriorChainSeconds:F0} s, posterior chain {m.PosteriorChainSeconds:F0} s, updates {m.UpdateSeconds:F0} s)"),
                cancellation: cancellation);
        });
    }

    public static ScoreTerms Score(TrainingRun run, LabeledImages images, string split, CancellationToken cancellation)
    {
        ScoreTerms? terms = null;
        NewProgress().Start(ctx =>
        {
            var task = ctx.AddTask($"scoring {images.Count} {split} images", maxValue: images.Count);
            terms = run.ScoreImages(images, n => { cancellation.ThrowIfCancellationRequested(); task.Value = n; });
        });
        return terms!;
    }

    public static ScoreCalibration Calibrate(TrainingRun run, LabeledImages validation, CancellationToken cancellation)
    {
        ScoreCalibration? calibration = null;
        NewProgress().Start(ctx =>
        {
            var task = ctx.AddTask($"scoring {validation.Count} validation images", maxValue: validation.Count);
            calibration = run.CalibrateScore(validation, n => { cancellation.ThrowIfCancellationRequested(); task.Value = n; });
        });
        return calibration!;
    }

    public static void ShowReport(AnomalyReport report, string folder)
    {
        var table = new Table().AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        table.Title = new TableTitle($"Anomaly detection, {report.HeldOut} held out (anomaly = positive)");
        if (report.Uninformative) table.AddRow("warning", "the score is constant: its AUPRC is the tie value and means nothing");
        table.AddRow("pr_auc (trapezoid, the paper's AUPRC)", $"{report.PrAuc:F4}");
        table.AddRow("average_precision (step sum)", $"{report.AveragePrecision:F4}");
        table.AddRow("auprc_mlnet (ML.NET's estimate)", $"{report.AuprcMlnet:F4}");
        table.AddRow("auroc", $"{report.Auroc:F4}");
        table.AddRow("prevalence (random score)", $"{report.Prevalence:F4}");
        table.AddRow("test images", $"{report.NTest}");
        table.AddRow("training seconds", $"{report.TrainSeconds:F0}");
        foreach (var (term, r) in report.RankingByTerm)
            table.AddRow($"{term} alone", r.Uninformative
                ? $"uninformative (constant score; pr_auc {r.PrAuc:F4} is the tie value, average precision {r.AveragePrecision:F4})"
                : $"pr_auc {r.PrAuc:F4}, average precision {r.AveragePrecision:F4}");
        if (report.Score.TryGetValue("pr_auc_by_weights", out var byWeights) && byWeights is Dictionary<string, double> weighted)
            foreach (var (weights, value) in weighted)
                table.AddRow($"pr_auc with {weights} weights", $"{value:F4}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"Report: {Path.Combine(folder, "report.json")}, scores: {Path.Combine(folder, "scores.csv")}");
        AnsiConsole.MarkupLineInterpolated($"Pictures: {Path.Combine(folder, "prior_samples.png")}, {Path.Combine(folder, "reconstructions.png")}");
    }

    internal static Spectre.Console.Progress NewProgress() =>
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn());
}
