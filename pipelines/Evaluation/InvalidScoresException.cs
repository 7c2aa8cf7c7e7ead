namespace LatentEbm.Pipelines.Evaluation;

/// <summary>
/// Labels and scores cannot be evaluated: lengths differ, the set is empty, a score is NaN or
/// infinite, or only one class is present. Never silently turned into a number.
/// </summary>
public sealed class InvalidScoresException(string problem) : ArgumentException(problem);
