namespace LatentEbm.Inference.Runtime;

/// <summary>
/// An input that does not fit an ONNX graph's signature (<see cref="OrtGraph.Run(System.Collections.Generic.IReadOnlyList{GraphInput}, System.Collections.Generic.IReadOnlyList{string}?)"/>):
/// an unknown, missing or repeated name, a wrong element type, rank or fixed dimension, a symbolic dimension (e.g. the
/// batch B) bound to two sizes, or data that does not hold the shape's count of values. Thrown before ONNX Runtime runs.
/// </summary>
public sealed class GraphInputException : ArgumentException
{
    /// <summary>Creates the error for input <paramref name="input"/>.</summary>
    /// <param name="input">The input's name.</param>
    /// <param name="problem">What is wrong, after "input 'name': ".</param>
    public GraphInputException(string input, string problem) : base($"input '{input}': {problem}")
    {
        Input = input;
    }

    /// <summary>The name of the input at fault.</summary>
    public string Input { get; }
}
