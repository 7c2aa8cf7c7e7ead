using Microsoft.ML;
using Microsoft.ML.Data;

namespace LatentEbm.Pipelines.Tests;

/// <summary>The colour-image ML.NET example of README.md, compiled and run by <see cref="CifarReadmeExampleTests"/>.</summary>
public static class CifarReadmeExample
{
    // begin README example
    public sealed class ImageFile
    {
        public string ImagePath { get; set; } = "";   // a PNG or JPEG file, relative to the image folder
    }

    public static float[] ScoreImages(string bundlePath, string imageFolder, IEnumerable<ImageFile> files)
    {
        var mlContext = new MLContext(seed: 0);
        IDataView data = mlContext.Data.LoadFromEnumerable(files);

        var pipeline = mlContext.Transforms.LoadImages("Image", imageFolder, inputColumnName: "ImagePath")
            .Append(mlContext.Transforms.ResizeImages("Image", imageWidth: 32, imageHeight: 32))  // the bundle's [3, 32, 32]
            .Append(mlContext.Transforms.ScoreLatentEbmAnomaly(bundlePath, outputColumnName: "Score", inputColumnName: "Image"));

        using var model = pipeline.Fit(data);                         // owns the bundle's ONNX Runtime sessions
        return [.. model.Transform(data).GetColumn<float>("Score")];   // higher = more anomalous
    }
    // end README example
}
