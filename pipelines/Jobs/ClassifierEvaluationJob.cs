using System.Diagnostics;
using System.Text.Json;
using LatentEbm.Data.Datasets;
using LatentEbm.Data.IO;
using LatentEbm.Inference.Bundles;
using LatentEbm.Pipelines.Plots;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace LatentEbm.Pipelines.Jobs;

/// <summary>One feature set's downstream classification result.</summary>
/// <param name="Features">latents, pixels or pca.</param>
/// <param name="Dimensions">Feature dimension.</param>
/// <param name="Accuracy">Share of test images classified right.</param>
/// <param name="MacroF1">Mean over classes of F1.</param>
/// <param name="Seconds">Wall time: features, training and evaluation.</param>
/// <param name="Confusion">Counts <c>[actual][predicted]</c>, classes 0..9.</param>
public sealed record ClassifierResult(string Features, int Dimensions, double Accuracy, double MacroF1, double Seconds, double[][] Confusion);

/// <summary>
/// Posterior latents as features for a downstream classifier: a FastTree one-versus-all multiclass
/// model trained on images of the MNIST train split and evaluated on the test split, against two
/// baselines with the same trainer in the same run: raw pixels, and PCA of the pixels to nz dimensions.
/// </summary>
public static class ClassifierEvaluationJob
{
    private sealed class Row
    {
        [VectorType] public float[] Pixels { get; set; } = [];
        public uint Label { get; set; }
    }

    /// <summary>Runs the three pipelines and writes <c>classifier.json</c> and <c>confusion_*.png</c> into <paramref name="outFolder"/>.</summary>
    /// <param name="bundle">Model bundle.</param>
    /// <param name="dataRoot">Datasets folder.</param>
    /// <param name="outFolder">Report folder.</param>
    /// <param name="trainCount">Images from the start of the train split (≤ 60,000).</param>
    /// <param name="testCount">Images from the start of the test split (≤ 10,000).</param>
    /// <param name="seed">Seed of ML.NET and of the chains.</param>
    public static IReadOnlyList<ClassifierResult> Run(string bundle, string dataRoot, string outFolder, int trainCount = 10_000, int testCount = 2_000, int seed = 0)
    {
        var manifest = ModelBundle.ReadManifest(bundle);
        string folder = ImageDatasets.Locate(manifest.Training.Dataset, dataRoot);
        var train = Subset(ImageDatasets.LoadSplit(folder, train: true), trainCount, nameof(trainCount));
        var test = Subset(ImageDatasets.LoadSplit(folder, train: false), testCount, nameof(testCount));
        var ml = new MLContext(seed);
        IDataView Load(LabeledImages images)
        {
            var definition = SchemaDefinition.Create(typeof(Row));
            definition[nameof(Row.Pixels)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, images.PixelsPerImage);
            return ml.Data.LoadFromEnumerable(Enumerable.Range(0, images.Count).Select(i => new Row { Pixels = images.Image(i).ToArray(), Label = images.Labels[i] }), definition);
        }
        var trainData = Load(train);
        var testData = Load(test);
        int nz = manifest.Model.Nz;

        var results = new List<ClassifierResult>
        {
            Evaluate(ml, "latents", nz, trainData, testData, ml.Transforms.EncodeLatentEbm(bundle, "Features", nameof(Row.Pixels), seed)),
            Evaluate(ml, "pixels", train.PixelsPerImage, trainData, testData, ml.Transforms.CopyColumns("Features", nameof(Row.Pixels))),
            Evaluate(ml, "pca", nz, trainData, testData, ml.Transforms.ProjectToPrincipalComponents("Features", nameof(Row.Pixels), rank: nz, seed: seed)),
        };
        Directory.CreateDirectory(outFolder);
        foreach (var r in results)
            ConfusionPlot.Save(Path.Combine(outFolder, $"confusion_{r.Features}.png"), r.Confusion, $"{r.Features} ({r.Dimensions} dims): accuracy {r.Accuracy:F3}, macro-F1 {r.MacroF1:F3}");
        AtomicFile.WriteAllText(Path.Combine(outFolder, "classifier.json"), JsonSerializer.Serialize(new
        {
            bundle,
            trainer = "FastTree, one-versus-all (ML.NET defaults)",
            latent_chain = manifest.Model.HasEncoder
                ? $"from the encoder's mean, {manifest.Score.EncoderSteps} steps"
                : $"from noise, {manifest.Files.First(f => f.Role == BundleRoles.PosteriorLangevin).Steps} steps",
            train_images = train.Count,
            test_images = test.Count,
            results,
        }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
        return results;
    }

    private static ClassifierResult Evaluate(MLContext ml, string name, int dimensions, IDataView train, IDataView test, IEstimator<ITransformer> features)
    {
        var watch = Stopwatch.StartNew();
        var pipeline = features
            .Append(ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue))
            .Append(ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastTree(featureColumnName: "Features")))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        using var model = pipeline.Fit(train); // disposes the latent-EBM transformer's sessions with the chain
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        double[][] confusion = Confusion(metrics.ConfusionMatrix);
        return new ClassifierResult(name, dimensions, metrics.MicroAccuracy, MacroF1(confusion), watch.Elapsed.TotalSeconds, confusion);
    }

    /// <summary>ML.NET's confusion matrix as arrays; keys are ordered by label value, so index = digit.</summary>
    private static double[][] Confusion(ConfusionMatrix matrix)
    {
        int k = matrix.NumberOfClasses;
        var counts = new double[k][];
        for (int i = 0; i < k; i++) counts[i] = [.. Enumerable.Range(0, k).Select(j => matrix.Counts[i][j])];
        return counts;
    }

    /// <summary>Mean over classes of 2 TP / (2 TP + FP + FN); a class never predicted nor present counts 0.</summary>
    public static double MacroF1(double[][] confusion)
    {
        int k = confusion.Length;
        double sum = 0;
        for (int c = 0; c < k; c++)
        {
            double tp = confusion[c][c], fn = confusion[c].Sum() - tp, fp = Enumerable.Range(0, k).Sum(r => confusion[r][c]) - tp;
            sum += tp + fp + fn == 0 ? 0 : 2 * tp / (2 * tp + fp + fn);
        }
        return sum / k;
    }

    private static LabeledImages Subset(LabeledImages images, int count, string name)
    {
        if (count < 10 || count > images.Count) throw new ArgumentOutOfRangeException(name, count, $"{name} must be 10..{images.Count}");
        return images.Select([.. Enumerable.Range(0, count)]);
    }
}
