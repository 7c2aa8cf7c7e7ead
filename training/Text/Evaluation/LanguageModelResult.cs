namespace LatentEbm.Training.Text.Evaluation;

/// <summary>An evaluation language model's training facts and what it measured on one set of sentences.</summary>
/// <param name="Nll">NLL and perplexity of the scored sentences (exact: no sampling).</param>
/// <param name="Settings">The language model's size and training, seed included.</param>
/// <param name="TrainingSentences">Sentences it was trained on.</param>
/// <param name="TrainingTokens">Their scored tokens.</param>
/// <param name="EpochLosses">Mean per-token training NLL of each epoch (dropout on), nats.</param>
/// <param name="TrainSeconds">Wall time of its training (0 when it was trained for another measurement and reused).</param>
/// <param name="ScoreSeconds">Wall time of the scoring.</param>
public sealed record LanguageModelResult(NllSummary Nll, LanguageModelSettings Settings, int TrainingSentences, long TrainingTokens,
    IReadOnlyList<double> EpochLosses, double TrainSeconds, double ScoreSeconds)
{
    /// <summary>The result of <paramref name="model"/> scoring with <paramref name="nll"/>.</summary>
    public static LanguageModelResult Of(LstmLanguageModel model, LanguageModelNll nll, double trainSeconds, double scoreSeconds) =>
        new(NllSummary.Of(nll.Nll), nll.Settings, nll.TrainingSentences, nll.TrainingTokens, model.EpochLosses, trainSeconds, scoreSeconds);
}
