using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace LatentEbm.Training.Text.Evaluation;

/// <summary>
/// The text evaluation of several runs (<c>latent-ebm text evaluate</c>): each run opened at its newest checkpoint, the
/// test split read with its vocabulary, one language-model baseline trained per distinct training split, max words and
/// vocabulary (runs that share them share it), then <see cref="TextEvaluation.Evaluate"/>; the facts of all of it as one
/// <see cref="TextEvaluationRecord"/>. The baselines' language models are disposed before it returns.
/// </summary>
public static class TextEvaluationJob
{
    /// <summary>Evaluates <paramref name="folders"/> in order.</summary>
    /// <param name="folders">Text run folders.</param>
    /// <param name="testPath">The test corpus.</param>
    /// <param name="settings">The evaluation's settings.</param>
    /// <param name="command">The command line, recorded.</param>
    /// <param name="threads">Torch CPU threads in use, recorded (the caller sets them).</param>
    /// <param name="progress">Told each run folder's stage progress.</param>
    /// <param name="cancellation">Checked between stages and batches.</param>
    /// <exception cref="Runs.RunFolderException">A folder holds no text run or no checkpoint.</exception>
    /// <exception cref="Checkpoints.CheckpointException">A run's newest checkpoint is damaged.</exception>
    /// <exception cref="FileNotFoundException">No test corpus.</exception>
    /// <exception cref="ArgumentException">A bad setting, no run, or no kept test sentence.</exception>
    /// <exception cref="InvalidOperationException">A model gave a value that is not finite.</exception>
    public static TextEvaluationRecord Run(IReadOnlyList<string> folders, string testPath, TextEvaluationSettings settings, string command, int threads,
        Action<string, TextEvaluationProgress>? progress = null, CancellationToken cancellation = default)
    {
        settings.Validate();
        if (folders.Count == 0) throw new ArgumentException("no run folder to evaluate", nameof(folders));
        if (!File.Exists(testPath)) throw new FileNotFoundException($"{testPath} does not exist", testPath);
        var clock = Stopwatch.StartNew();
        var baselines = new List<(string Key, TextLanguageModelBaseline Baseline)>();
        var results = new List<TextRunEvaluation>();
        try
        {
            foreach (string folder in folders)
            {
                cancellation.ThrowIfCancellationRequested();
                using var run = TextTrainingRun.OpenForEvaluation(folder);
                var test = TextEvaluation.ReadTestSplit(testPath, run);
                string key = $"{run.Config.TrainPath}\n{run.Config.MaxWords}\n{string.Join('\n', run.Vocabulary.Tokens)}";
                int index = baselines.FindIndex(b => b.Key == key);
                if (index < 0)
                {
                    baselines.Add((key, TextEvaluation.LanguageModelBaseline(run, test, settings, p => progress?.Invoke(folder, p))));
                    index = baselines.Count - 1;
                }
                results.Add(TextEvaluation.Evaluate(run, test, baselines[index].Baseline, index, settings, p => progress?.Invoke(folder, p), cancellation));
            }
        }
        finally
        {
            foreach (var (_, b) in baselines) b.Model?.Dispose();
        }
        return new TextEvaluationRecord(command, DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            $"{Environment.ProcessorCount}-core CPU, {RuntimeInformation.OSDescription}", threads, TextEvaluationSettings.SubsetRule, settings,
            [.. baselines.Select(b => b.Baseline with { Model = null })], results, clock.Elapsed.TotalSeconds);
    }
}
