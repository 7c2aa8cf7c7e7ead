using LatentEbm.Data.Text;

namespace LatentEbm.Training.Text.Evaluation;

/// <summary>What the corpus reader kept and skipped of a split, read with a run's vocabulary and max words.</summary>
/// <param name="Path">The file read.</param>
/// <param name="Lines">Sentences in the file: the kept ones and the skipped ones.</param>
/// <param name="Sentences">Sentences kept.</param>
/// <param name="SkippedTooLong">Sentences skipped for having more than <paramref name="MaxWords"/> words.</param>
/// <param name="SkippedEmpty">Empty lines skipped.</param>
/// <param name="MaxWords">The longest sentence kept, in words.</param>
/// <param name="Words">Words in the kept sentences.</param>
/// <param name="UnknownWords">Words of the kept sentences read as <c>&lt;unk&gt;</c>.</param>
public sealed record TextSplitFacts(string Path, int Lines, int Sentences, int SkippedTooLong, int SkippedEmpty, int MaxWords, long Words, long UnknownWords)
{
    /// <summary>The facts of a corpus as read.</summary>
    public static TextSplitFacts Of(TextCorpus corpus) => new(corpus.Path, corpus.Sentences.Count + corpus.SkippedTooLong + corpus.SkippedEmpty,
        corpus.Sentences.Count, corpus.SkippedTooLong, corpus.SkippedEmpty, corpus.MaxWords, corpus.Words, corpus.UnknownWords);
}
