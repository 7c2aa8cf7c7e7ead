using System.CommandLine;
using LatentEbm.Data.Datasets;
using LatentEbm.Data.Idx;
using LatentEbm.Data.Sources;
using LatentEbm.Onnx;
using LatentEbm.Training.Evaluation;
using LatentEbm.Training.Runs;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary><c>latent-ebm classifier train</c>: the small classifier whose features the sample-quality distances use.</summary>
internal static class ClassifierCommand
{
    /// <summary>
    /// Epochs of the CNN when --epochs is not given, fixed in advance from one measured epoch and never chosen by test
    /// accuracy: one CIFAR-10 epoch took 337 s of wall time on one torch thread of the project's 2-core machine while
    /// two training runs shared it (load average about 13), so 3 epochs stay under 20 minutes there.
    /// </summary>
    public const int CnnEpochs = 3;

    /// <summary>Epochs of the MLP when --epochs is not given (the MNIST classifier's).</summary>
    public const int MlpEpochs = 10;

    public static Command Create()
    {
        var dataset = SettingOption.Create("--dataset", "The data source whose train split it learns: mnist (the MLP), fashion-mnist, cifar-10 (the CNN; make data unpacks it) or image-folder (--data-path)", DatasetName.Mnist);
        var dataPath = new Option<string?>("--data-path") { Description = "Folder of the dataset's files, overriding the data folder (required for image-folder)" };
        var architecture = new Option<string?>("--architecture") { Description = "mlp (flattened pixels, 784-256-128-10 on MNIST) or cnn (4 convolutions, 256 features); default: mlp for 28x28 grey images, cnn otherwise" };
        architecture.AcceptOnlyFromAmong(SettingNames.All<FeatureClassifierArchitecture>());
        var output = new Option<string?>("--out") { Description = "Folder to write classifier.onnx and classifier.json into (default models/mnist-classifier for mnist, models/cifar10-classifier for cifar-10, models/<dataset>-classifier otherwise)" };
        var dataRoot = new Option<string>("--data-dir") { Description = "Datasets folder", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var epochs = new Option<int?>("--epochs") { Description = $"Training epochs, fixed before training (default {MlpEpochs} for the mlp, {CnnEpochs} for the cnn)" };
        var seed = new Option<int>("--seed") { Description = "Seed", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var imageSize = new Option<int>("--image-size") { Description = "Height and width of image-folder images", DefaultValueFactory = _ => 64 };
        var train = new Command("train", "Train the feature classifier on every class of a dataset's train split and export it as ONNX, checked against TorchSharp (features = the penultimate layer): the feature space of the sample-quality Fréchet distance and KID, a proxy for Inception's. MNIST: the MLP 784-256-128-10; CIFAR-10: a small CNN.")
        {
            dataset, dataPath, architecture, output, dataRoot, epochs, seed, threads, imageSize,
        };
        train.SetAction(parse =>
        {
            try
            {
                if (parse.GetValue(threads) < 1 || parse.GetValue(epochs) is < 1) throw new ArgumentException("--threads and --epochs must be at least 1");
                TorchSharp.torch.set_num_threads(parse.GetValue(threads));
                var name = parse.GetSetting<DatasetName>(dataset);
                var source = ImageSources.Open(name, parse.GetValue(dataRoot)!, parse.GetValue(dataPath) is string path ? Path.GetFullPath(path) : null, parse.GetValue(imageSize));
                AnsiConsole.MarkupLineInterpolated($"[bold]Loading[/] {SettingNames.Of(name)} from {source.Location}");
                var trainImages = source.Load(DataSplit.Train);
                var testImages = source.Load(DataSplit.Test);
                var kind = parse.GetValue(architecture) is string a ? SettingNames.Parse<FeatureClassifierArchitecture>(a) : FeatureClassifierNetworks.DefaultFor(trainImages.Observation);
                int epochCount = parse.GetValue(epochs) ?? (kind == FeatureClassifierArchitecture.Cnn ? CnnEpochs : MlpEpochs);
                string folder = parse.GetValue(output) ?? DefaultFolder(name);
                AnsiConsole.MarkupLineInterpolated($"[bold]Training[/] the {SettingNames.Of(kind)} on {trainImages.Count} images {trainImages.Observation.ShapeText} for {epochCount} epochs on {parse.GetValue(threads)} thread(s)");
                var card = FeatureClassifier.TrainAndExport(trainImages, testImages, folder, new FeatureClassifierTraining
                {
                    Dataset = name,
                    Architecture = kind,
                    Epochs = epochCount,
                    Seed = parse.GetValue(seed),
                    PixelNote = source is Cifar10Source { Form: "jpeg" }
                        ? "Pixels: the JPEG re-encode of CIFAR-10 (cifar-10-jpg, unpacked by make data), not the original pixels; numbers on it are not comparable digit for digit with results on the original."
                        : null,
                    OnEpoch = (epoch, loss, seconds) => AnsiConsole.MarkupLineInterpolated($"epoch {epoch}/{epochCount}: loss {loss:F4}, {seconds:F1} s"),
                });
                AnsiConsole.MarkupLineInterpolated($"{card.Architecture}: test accuracy {card.TestAccuracy:F4} on {card.TestImages} images; trained in {card.TrainSeconds:F1} s; export checked (relative error {card.OnnxMaxRelativeError:E2}). Wrote {folder}");
                return 0;
            }
            catch (Exception e) when (e is IOException or IdxFormatException or ArgumentException or UnauthorizedAccessException or OnnxExportException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return new Command("classifier", "The feature classifier of the sample-quality study.") { train };
    }

    private static string DefaultFolder(DatasetName name) => name switch
    {
        DatasetName.Mnist => "models/mnist-classifier",
        DatasetName.Cifar10 => "models/cifar10-classifier",
        _ => $"models/{SettingNames.Of(name)}-classifier",
    };

    /// <summary><c>latent-ebm evaluate samples</c>.</summary>
    public static Command SamplesCommand()
    {
        var run = new Option<string>("--run") { Description = "Run folder (with or without a held-out class)", Required = true };
        var classifier = new Option<string?>("--classifier") { Description = "Feature classifier folder; it must take the run's images (default: models/cifar10-classifier for cifar-10 runs, models/mnist-classifier otherwise)" };
        var dataRoot = new Option<string>("--data-dir") { Description = "Datasets folder", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var samples = new Option<int>("--samples") { Description = "Prior samples (and at most as many test images)", DefaultValueFactory = _ => 10_000 };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("samples", "Sample quality and reconstruction of a run: Fréchet distance and KID (in the shipped classifier's features; a proxy, not Inception FID or KID) between decoded prior samples and test images (the normal ones when a class is held out, else the test split), with the floor of as many training images, and the test reconstruction MSE. Writes sample_quality.json into the run.")
        {
            run, classifier, dataRoot, samples, threads,
        };
        command.SetAction(parse =>
        {
            try
            {
                if (parse.GetValue(threads) < 1) throw new ArgumentException("--threads must be at least 1");
                TorchSharp.torch.set_num_threads(parse.GetValue(threads));
                string runFolder = parse.GetValue(run)!;
                string classifierFolder = parse.GetValue(classifier)
                    ?? (TrainingRun.ReadConfig(runFolder).Dataset == DatasetName.Cifar10 ? "models/cifar10-classifier" : "models/mnist-classifier");
                var r = SampleQualityStudy.Run(runFolder, parse.GetValue(dataRoot)!, classifierFolder, parse.GetValue(samples));
                AnsiConsole.MarkupLineInterpolated($"{r.Prior} prior ({r.Dataset}): Fréchet distance (classifier features) {r.FrechetDistance:F3} over {r.Samples} samples (data floor {r.DataFrechetDistance:F3}); KID {r.KidMean:F4} ± {r.KidStd:F4} (data floor {r.DataKidMean:F4}); reconstruction MSE {r.ReconstructionMse:F5} on {r.TestImages} test images");
                return 0;
            }
            catch (Exception e) when (e is IOException or IdxFormatException or ArgumentException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
