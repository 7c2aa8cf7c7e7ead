namespace LatentEbm.Training.Text.Evaluation;

/// <summary>
/// Negative log-likelihoods of sentences and the scored-token counts behind them (PAPER.md, "Text model": NLL and
/// perplexity): a sentence of n words scores n + 1 tokens (its words and <c>&lt;/s&gt;</c>; <c>&lt;s&gt;</c> is given,
/// padding is never scored).
/// </summary>
/// <param name="PerSentence">-log p(x) of each sentence, in nats (≥ 0 for a categorical model), in input order.</param>
/// <param name="Tokens">Scored tokens of each sentence, in input order.</param>
public sealed record SentenceNll(IReadOnlyList<double> PerSentence, IReadOnlyList<int> Tokens)
{
    /// <summary>Sentences scored.</summary>
    public int Count => PerSentence.Count;

    /// <summary>Σ NLL over the sentences, in nats.</summary>
    public double Total => PerSentence.Sum();

    /// <summary>Σ scored tokens.</summary>
    public long TotalTokens => Tokens.Sum(t => (long)t);

    /// <summary>Mean NLL per sentence, in nats (the "NLL" column of the text papers).</summary>
    public double MeanPerSentence => Total / Count;

    /// <summary>Σ NLL / Σ tokens: nats per token, <c>&lt;/s&gt;</c> included.</summary>
    public double PerToken => Total / TotalTokens;

    /// <summary>Each sentence's NLL per scored token, in nats, in input order: the text anomaly score of the language-model baseline.</summary>
    public IReadOnlyList<double> PerTokenOfEach => [.. PerSentence.Zip(Tokens, (nll, tokens) => nll / tokens)];

    /// <summary>exp(Σ NLL / Σ tokens), <c>&lt;/s&gt;</c> counted as a token.</summary>
    public double Perplexity => Math.Exp(PerToken);
}
