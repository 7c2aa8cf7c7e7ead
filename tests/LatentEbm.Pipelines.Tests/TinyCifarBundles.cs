using LatentEbm.Data.Datasets;
using LatentEbm.Data.Imaging;
using LatentEbm.Data.Sources;
using LatentEbm.Onnx.Graphs;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Export;
using LatentEbm.Training.Runs;
using LatentEbm.Training.Runtime;

namespace LatentEbm.Pipelines.Tests;

/// <summary>
/// One tiny colour run (conv generator, nz 8, ngf 4, one epoch on 100 real CIFAR-10 training JPEGs, a few
/// seconds on one torch thread) exported twice from the same checkpoint: with the shared external
/// <c>weights.bin</c> and with every graph self-contained. Shared by the tests of the collection.
/// </summary>
public sealed class TinyCifarBundles
{
    /// <summary>The CIFAR-10 JPEG tree (cifar-10-jpg, holding train/ and test/).</summary>
    public string JpegFolder { get; } = Path.Combine(TestPaths.Cifar10, "cifar-10-jpg");

    /// <summary>The bundle with one shared weights.bin (the default export).</summary>
    public string External { get; }

    /// <summary>The same checkpoint exported with <see cref="WeightStorage.Embedded"/>.</summary>
    public string Embedded { get; }

    public TinyCifarBundles()
    {
        TorchRuntime.Initialize(); // before libtorch's first convolution, as every entry point does
        TorchSharp.torch.set_num_threads(1);
        var images = Decode(Files("train", 10), 3);
        var config = new TrainingConfig
        {
            Dataset = DatasetName.Cifar10, Observation = images.Observation, Generator = GeneratorKind.Conv, Ngf = 4, Nz = 8,
            PriorHidden = 16, PriorSteps = 5, PosteriorSteps = 5, BatchSize = 50, Epochs = 1, Seed = 3, Score = new() { Steps = 4 },
        };
        string run = TestPaths.NewTempFolder();
        using (var training = TrainingRun.Start(run, config, images)) training.TrainToEnd();
        string root = TestPaths.NewTempFolder();
        External = BundleExporter.Export(run, Path.Combine(root, "cifar-tiny"), ChainForm.Loop, [1, 3], WeightStorage.External).Folder;
        Embedded = BundleExporter.Export(run, Path.Combine(root, "cifar-tiny-embedded"), ChainForm.Loop, [1, 3], WeightStorage.Embedded).Folder;
    }

    /// <summary>The first <paramref name="perClass"/> JPEGs of each class folder of <paramref name="split"/>, relative to <see cref="JpegFolder"/>, class by class.</summary>
    public IReadOnlyList<string> Files(string split, int perClass) =>
        [.. Cifar10Source.ClassNames.SelectMany(c => Directory.GetFiles(Path.Combine(JpegFolder, split, c), "*.jpg")
            .Order(StringComparer.Ordinal).Take(perClass).Select(f => Path.GetRelativePath(JpegFolder, f)))];

    /// <summary>
    /// The files decoded independently of ML.NET, by the project's own decoder (SkiaSharp): RGB planes, k / 127.5 − 1.
    /// </summary>
    public LabeledImages Decode(IReadOnlyList<string> files, int channels)
    {
        var pixels = new float[files.Count * channels * 32 * 32];
        for (int i = 0; i < files.Count; i++)
            ImageDecoder.Decode(files[i], File.ReadAllBytes(Path.Combine(JpegFolder, files[i])), channels, 32, 32, pixels.AsSpan(i * channels * 1024, channels * 1024));
        byte[] labels = [.. files.Select(f => (byte)Cifar10Source.ClassNames.ToList().IndexOf(f.Split('/')[1]))];
        return new LabeledImages(pixels, labels, channels, 32, 32, Cifar10Source.ClassNames);
    }
}

/// <summary>Tests sharing <see cref="TinyCifarBundles"/> (built once, tests run one at a time).</summary>
[CollectionDefinition(Name)]
public sealed class TinyCifarCollection : ICollectionFixture<TinyCifarBundles>
{
    public const string Name = "tiny CIFAR-10 bundles";
}
