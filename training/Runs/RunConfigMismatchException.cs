namespace LatentEbm.Training.Runs;

/// <summary>
/// A run's <c>config.json</c> no longer matches the configuration its checkpoints were trained with
/// (it was edited after they were written): the checkpoints are intact, the configuration is at fault.
/// The message names config.json and every differing setting with both values.
/// </summary>
public sealed class RunConfigMismatchException(string configPath, string checkpoint, IReadOnlyList<(string Setting, string Recorded, string Current)> differences)
    : IOException($"{configPath} no longer matches the configuration the run's checkpoints were trained with: " +
                  string.Join("; ", differences.Select(d => $"{d.Setting} is {d.Current} in config.json but {d.Recorded} in {checkpoint}")) +
                  ". The checkpoints are intact: set these back in config.json to resume, or train the new settings into another --out")
{
    /// <summary>The run's config.json.</summary>
    public string ConfigPath { get; } = configPath;

    /// <summary>The differing settings (config.json's names), with the checkpoints' and config.json's values.</summary>
    public IReadOnlyList<(string Setting, string Recorded, string Current)> Differences { get; } = differences;
}
