namespace LatentEbm.Inference.Text;

/// <summary>What is wrong with an input sentence (<see cref="TextInputException.Problem"/>).</summary>
public enum TextInputProblem
{
    /// <summary>The sentence has no word (empty or white space only).</summary>
    Empty,
    /// <summary>The sentence has more words than the model's limit (<see cref="TextInputException.Limit"/>).</summary>
    TooLong,
    /// <summary>The sentence holds a reserved token (<c>&lt;pad&gt;</c>, <c>&lt;s&gt;</c> or <c>&lt;/s&gt;</c>) as a word.</summary>
    ReservedToken,
}

/// <summary>
/// An input sentence the text model cannot read; the message names the problem, the sentence's index in its request and,
/// for <see cref="TextInputProblem.TooLong"/>, its word count and the limit. A service answers it with 400.
/// </summary>
public sealed class TextInputException(TextInputProblem problem, int index, int words, int limit, string message)
    : ArgumentException(message)
{
    /// <summary>What is wrong.</summary>
    public TextInputProblem Problem { get; } = problem;
    /// <summary>The sentence's index in its request (0-based).</summary>
    public int Index { get; } = index;
    /// <summary>The sentence's word count.</summary>
    public int Words { get; } = words;
    /// <summary>The model's most words per sentence.</summary>
    public int Limit { get; } = limit;
}
