namespace LatentEbm.Training.Text.Evaluation;

/// <summary>What a report keeps of a <see cref="SentenceNll"/>: its totals, not the per-sentence values.</summary>
/// <param name="Sentences">Sentences scored.</param>
/// <param name="Tokens">Scored tokens (words and <c>&lt;/s&gt;</c>).</param>
/// <param name="NllPerSentence">Mean -log p(x) per sentence, nats.</param>
/// <param name="NllPerToken">Σ NLL / Σ tokens, nats.</param>
/// <param name="Perplexity">exp(<paramref name="NllPerToken"/>).</param>
public sealed record NllSummary(int Sentences, long Tokens, double NllPerSentence, double NllPerToken, double Perplexity)
{
    /// <summary>The totals of <paramref name="nll"/>.</summary>
    public static NllSummary Of(SentenceNll nll) => new(nll.Count, nll.TotalTokens, nll.MeanPerSentence, nll.PerToken, nll.Perplexity);
}
