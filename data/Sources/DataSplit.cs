namespace LatentEbm.Data.Sources;

/// <summary>A dataset's published split.</summary>
public enum DataSplit
{
    /// <summary>The training split (MNIST 60,000; CIFAR-10 50,000; SVHN 73,257).</summary>
    Train,
    /// <summary>The test split (MNIST 10,000; CIFAR-10 10,000; SVHN 26,032).</summary>
    Test,
}
