namespace LatentEbm.Training.Export;

/// <summary>An exported graph does not reproduce the TorchSharp model: the message names the graph, the quantity, the batch size and the error.</summary>
public sealed class BundleVerificationException(string message) : InvalidOperationException(message);
