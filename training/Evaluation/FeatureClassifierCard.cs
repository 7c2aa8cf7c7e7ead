namespace LatentEbm.Training.Evaluation;

/// <summary>
/// What a shipped feature classifier is (<c>classifier.json</c> beside <c>classifier.onnx</c>). The fields after
/// <see cref="Note"/> came with the CIFAR-10 classifier; cards written before them (models/mnist-classifier) leave them
/// null, meaning MNIST, the MLP, input <c>[784]</c>.
/// </summary>
/// <param name="Architecture">Its layers.</param>
/// <param name="FeatureDimension">Width of the <c>features</c> output.</param>
/// <param name="Epochs">Training epochs (fixed before training; never chosen by test accuracy).</param>
/// <param name="Seed">Seed of initialisation, batch order and augmentation.</param>
/// <param name="TrainImages">Images trained on (the dataset's whole train split, every class).</param>
/// <param name="TestAccuracy">Accuracy on the dataset's test split, measured once after training.</param>
/// <param name="Sha256">SHA-256 of classifier.onnx.</param>
/// <param name="Note">What the features are for, and what they are not.</param>
/// <param name="Dataset">The dataset (<c>mnist</c>, <c>cifar-10</c>, ...); null on cards before this field (MNIST).</param>
/// <param name="InputShape">Input shape without the batch (<c>[784]</c> flat, <c>[3, 32, 32]</c> images); null on older cards (read it from the ONNX file).</param>
/// <param name="TestImages">Images of the test split that <see cref="TestAccuracy"/> is over.</param>
/// <param name="Training">Optimiser, batch size and augmentation.</param>
/// <param name="TrainSeconds">Wall time of training (not of loading or export), on the machine and threads that trained it.</param>
/// <param name="Threads">Torch CPU threads of that training.</param>
/// <param name="OnnxMaxRelativeError">The export's check: max |onnx - torch| / max |torch| over features and logits of test images (ONNX Runtime CPU against TorchSharp).</param>
public sealed record FeatureClassifierCard(string Architecture, int FeatureDimension, int Epochs, int Seed, int TrainImages, double TestAccuracy, string Sha256, string Note,
    string? Dataset = null, int[]? InputShape = null, int? TestImages = null, string? Training = null, double? TrainSeconds = null, int? Threads = null,
    double? OnnxMaxRelativeError = null);
