using System.CommandLine;
using LatentEbm.Data.Datasets;
using LatentEbm.Data.Idx;
using LatentEbm.Training.Evaluation;
using Spectre.Console;

namespace LatentEbm.Cli.Commands;

/// <summary><c>latent-ebm classifier train</c>: the small MNIST classifier whose features the sample-quality distance uses.</summary>
internal static class ClassifierCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder to write classifier.onnx and classifier.json into", DefaultValueFactory = _ => "models/mnist-classifier" };
        var dataRoot = new Option<string>("--data-dir") { Description = "Datasets folder", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs", DefaultValueFactory = _ => 10 };
        var seed = new Option<int>("--seed") { Description = "Seed", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var train = new Command("train", "Train the MLP 784-256-128-10 on every digit of the MNIST train split and export it as ONNX (features = the 128-wide penultimate layer): the feature space of the sample-quality Fréchet distance, a proxy for FID.")
        {
            output, dataRoot, epochs, seed, threads,
        };
        train.SetAction(parse =>
        {
            try
            {
                if (parse.GetValue(threads) < 1 || parse.GetValue(epochs) < 1) throw new ArgumentException("--threads and --epochs must be at least 1");
                TorchSharp.torch.set_num_threads(parse.GetValue(threads));
                string folder = ImageDatasets.Locate("mnist", parse.GetValue(dataRoot)!);
                var card = FeatureClassifier.TrainAndExport(ImageDatasets.LoadSplit(folder, train: true), ImageDatasets.LoadSplit(folder, train: false),
                    parse.GetValue(output)!, parse.GetValue(epochs), parse.GetValue(seed));
                AnsiConsole.MarkupLineInterpolated($"{card.Architecture}: test accuracy {card.TestAccuracy:F4}. Wrote {parse.GetValue(output)}");
                return 0;
            }
            catch (Exception e) when (e is IOException or IdxFormatException or ArgumentException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return new Command("classifier", "The feature classifier of the sample-quality study.") { train };
    }

    /// <summary><c>latent-ebm evaluate samples</c>.</summary>
    public static Command SamplesCommand()
    {
        var run = new Option<string>("--run") { Description = "Run folder (trained with a held-out digit)", Required = true };
        var classifier = new Option<string>("--classifier") { Description = "Feature classifier folder", DefaultValueFactory = _ => "models/mnist-classifier" };
        var dataRoot = new Option<string>("--data-dir") { Description = "Datasets folder", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? ".cache/data" };
        var samples = new Option<int>("--samples") { Description = "Prior samples (and at most as many test images)", DefaultValueFactory = _ => 10_000 };
        var threads = new Option<int>("--threads") { Description = "Torch CPU threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("samples", "Sample quality and reconstruction of a run: Fréchet distance (in the shipped classifier's features; a proxy, not Inception FID) between decoded prior samples and normal test images, and the test reconstruction MSE. Writes sample_quality.json into the run.")
        {
            run, classifier, dataRoot, samples, threads,
        };
        command.SetAction(parse =>
        {
            try
            {
                if (parse.GetValue(threads) < 1) throw new ArgumentException("--threads must be at least 1");
                TorchSharp.torch.set_num_threads(parse.GetValue(threads));
                var r = SampleQualityStudy.Run(parse.GetValue(run)!, parse.GetValue(dataRoot)!, parse.GetValue(classifier)!, parse.GetValue(samples));
                AnsiConsole.MarkupLineInterpolated($"{r.Prior} prior: Fréchet distance (classifier features) {r.FrechetDistance:F3} over {r.Samples} samples (data floor {r.DataFrechetDistance:F3}); reconstruction MSE {r.ReconstructionMse:F5} on {r.TestImages} normal test images");
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
