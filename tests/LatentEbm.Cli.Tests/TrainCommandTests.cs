using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.Json;
using LatentEbm.Data.Datasets;
using LatentEbm.Tests.Shared;

namespace LatentEbm.Cli.Tests;

public class TrainCommandTests
{
    /// <summary>A gzipped MNIST-format dataset of the first 600 train and 200 test images of real MNIST.</summary>
    private static string SmallGzippedMnist()
    {
        string root = TestPaths.NewTempFolder();
        string folder = Path.Combine(root, "mnist");
        Directory.CreateDirectory(folder);
        foreach (var (train, count, prefix) in new[] { (true, 600, "train"), (false, 200, "t10k") })
        {
            var split = ImageDatasets.LoadSplit(TestPaths.Mnist, train).Select([.. Enumerable.Range(0, count)]);
            var pixels = split.Pixels.Select(v => (byte)Math.Round((v + 1) * 127.5)).ToArray();
            WriteIdxGz(Path.Combine(folder, $"{prefix}-images-idx3-ubyte.gz"), [count, 28, 28], pixels);
            WriteIdxGz(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz"), [count], split.Labels);
        }
        return root;
    }

    private static void WriteIdxGz(string path, int[] shape, byte[] data)
    {
        using var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        var header = new byte[4 + 4 * shape.Length];
        header[2] = 0x08;
        header[3] = (byte)shape.Length;
        for (int i = 0; i < shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), shape[i]);
        gz.Write(header);
        gz.Write(data);
    }

    [Fact]
    public void TrainWithAHeldOutDigitWritesTheRunFolderAndTheReport()
    {
        string data = SmallGzippedMnist();
        string run = Path.Combine(TestPaths.NewTempFolder(), "digit4");
        var (code, output) = CliRunner.Run("train", "--dataset", "mnist", "--holdout-digit", "4", "--epochs", "2", "--batch-size", "50",
            "--out", run, "--data-dir", data, "--threads", "1", "--score-steps", "10", "--validation-fraction", "0.1", "--score-weights", "standardized");
        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(run, "score_calibration.json")), output);
        Assert.Contains("pr_auc with standardized weights", output);

        foreach (var file in new[] { "config.json", "metrics.csv", "prior_samples.png", "reconstructions.png", "report.json", "scores.csv" })
            Assert.True(File.Exists(Path.Combine(run, file)), $"{file} missing; output:\n{output}");
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(run, "prior_samples.png"))[..4]);

        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "report.json")));
        var r = report.RootElement;
        Assert.Equal(4, r.GetProperty("holdout_digit").GetInt32());
        var all = ImageDatasets.LoadAll(Path.Combine(data, "mnist"));
        int anomalies = all.Labels.Count(l => l == 4), normal = all.Count - anomalies;
        int nTest = normal - (int)(0.8 * normal) + anomalies;
        Assert.Equal(nTest, r.GetProperty("n_test").GetInt32());
        Assert.Equal((double)anomalies / nTest, r.GetProperty("prevalence").GetDouble(), 12);
        foreach (var key in new[] { "pr_auc", "average_precision", "auprc_mlnet", "auroc" })
            Assert.InRange(r.GetProperty(key).GetDouble(), 0.0, 1.0);
        Assert.True(r.GetProperty("train_seconds").GetDouble() > 0);
        var scores = File.ReadAllLines(Path.Combine(run, "scores.csv"));
        Assert.Equal("label,score", scores[0]);
        Assert.Equal(nTest + 1, scores.Length);
        Assert.Equal(anomalies, scores.Skip(1).Count(l => l.StartsWith("1,")));

        // A second `train` into the same folder is refused; --resume with more epochs continues it.
        var (again, refused) = CliRunner.Run("train", "--holdout-digit", "4", "--out", run, "--data-dir", data);
        Assert.Equal(1, again);
        Assert.Contains("already holds a run", refused);
        var (resumed, resumeOutput) = CliRunner.Run("train", "--resume", "--epochs", "3", "--out", run, "--data-dir", data, "--threads", "1");
        Assert.True(resumed == 0, resumeOutput);
        Assert.Contains("resuming after epoch 2", resumeOutput);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(run, "metrics.csv")).Length);

        // export writes a verified bundle; pointing it at a run without checkpoints fails cleanly.
        string bundle = Path.Combine(TestPaths.NewTempFolder(), "tiny-digit4");
        var (exported, exportOutput) = CliRunner.Run("export", "--run", run, "--out", bundle);
        Assert.True(exported == 0, exportOutput);
        Assert.Contains("verified", exportOutput);
        Assert.True(File.Exists(Path.Combine(bundle, "manifest.json")));
        Assert.Equal(8, Directory.GetFiles(bundle, "*.onnx").Length); // the default run has an encoder: encoder and amortised_posterior beside the six
        Assert.True(File.Exists(Path.Combine(bundle, "weights.bin")));
        // --weights embedded: the same run, every graph self-contained, verified the same way.
        string embedded = Path.Combine(TestPaths.NewTempFolder(), "tiny-digit4-embedded");
        var (exportedEmbedded, embeddedOutput) = CliRunner.Run("export", "--run", run, "--out", embedded, "--weights", "embedded");
        Assert.True(exportedEmbedded == 0, embeddedOutput);
        Assert.Contains("weights embedded in each graph", embeddedOutput);
        Assert.Equal(8, Directory.GetFiles(embedded, "*.onnx").Length);
        Assert.False(File.Exists(Path.Combine(embedded, "weights.bin")));
        var (badWeights, badWeightsOutput) = CliRunner.Run("export", "--run", run, "--out", embedded, "--weights", "inline");
        Assert.Equal(1, badWeights);
        Assert.Contains("--weights", badWeightsOutput);
        // evaluate anomaly scores the same split through the ML.NET pipeline and writes its report.
        string reports = Path.Combine(TestPaths.NewTempFolder(), "eval");
        var (evaluated, evaluation) = CliRunner.Run("evaluate", "anomaly", "--bundle", bundle, "--out", reports, "--data-dir", data);
        Assert.True(evaluated == 0, evaluation);
        Assert.Contains("LEBM (the paper)", evaluation);
        foreach (var file in new[] { "report.json", "scores.csv", "pr_curve.png" })
            Assert.True(File.Exists(Path.Combine(reports, file)), $"{file} missing");
        using (var evalReport = JsonDocument.Parse(File.ReadAllText(Path.Combine(reports, "report.json"))))
            Assert.Equal(nTest, evalReport.RootElement.GetProperty("n_test").GetInt32());
        var (wrongDigit, wrongDigitOutput) = CliRunner.Run("evaluate", "anomaly", "--bundle", bundle, "--holdout-digit", "1", "--out", reports, "--data-dir", data);
        Assert.Equal(1, wrongDigit);
        Assert.Contains("digit 4 held out", wrongDigitOutput);

        var (failed, failure) = CliRunner.Run("export", "--run", TestPaths.NewTempFolder(), "--out", bundle);
        Assert.Equal(1, failed);
        Assert.Contains("not a run folder", failure);
        Assert.True(File.Exists(Path.Combine(bundle, "manifest.json")), "the earlier bundle survives a failed export");
    }

    [Fact]
    public void ATruncatedDataFileIsAClearErrorNotACrash()
    {
        string data = SmallGzippedMnist();
        string images = Path.Combine(data, "mnist", "t10k-images-idx3-ubyte.gz");
        var bytes = File.ReadAllBytes(images);
        File.WriteAllBytes(images, bytes[..(bytes.Length / 2)]);
        var (code, output) = CliRunner.Run("train", "--holdout-digit", "4", "--epochs", "1", "--out", Path.Combine(TestPaths.NewTempFolder(), "r"), "--data-dir", data);
        Assert.Equal(1, code);
        Assert.Contains("t10k-images-idx3-ubyte.gz", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Theory]
    [InlineData("--threads", "0", "--threads must be at least 1")]
    [InlineData("--device", "cuda", "CUDA is not available")]
    [InlineData("--device", "banana", "is not a torch device")]
    [InlineData("--holdout-digit", "12", "holdout_digit must be 0..9")]
    public void BadSettingsFailFastWithoutCreatingARunFolder(string option, string value, string expected)
    {
        string run = Path.Combine(TestPaths.NewTempFolder(), "r");
        var (code, output) = CliRunner.Run("train", option, value, "--epochs", "1", "--out", run);
        Assert.Equal(1, code);
        Assert.Contains(expected, output);
        Assert.DoesNotContain("   at ", output);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void OnnxRuntimeChainsWithBfloat16AreRefusedBeforeTraining()
    {
        string run = Path.Combine(TestPaths.NewTempFolder(), "r");
        var (code, output) = CliRunner.Run("train", "--chain-engine", "onnx_runtime", "--chain-precision", "bfloat16", "--epochs", "1", "--out", run);
        Assert.Equal(1, code);
        Assert.Contains("chain_engine onnx_runtime runs float32 chains", output);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void StandardizedWeightsWithoutAValidationSplitFailBeforeTraining()
    {
        string run = Path.Combine(TestPaths.NewTempFolder(), "r");
        var (code, output) = CliRunner.Run("train", "--holdout-digit", "4", "--score-weights", "standardized", "--epochs", "1", "--out", run);
        Assert.Equal(1, code);
        Assert.Contains("--validation-fraction", output);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void AnOutputPathThatIsAFileIsAClearError()
    {
        string file = Path.Combine(TestPaths.NewTempFolder(), "taken");
        File.WriteAllText(file, "");
        var (code, output) = CliRunner.Run("train", "--epochs", "1", "--out", file);
        Assert.Equal(1, code);
        Assert.Contains("is a file", output);
    }

    [Fact]
    public void MissingDataSaysHowToFetchIt()
    {
        var (code, output) = CliRunner.Run("train", "--epochs", "1", "--out", Path.Combine(TestPaths.NewTempFolder(), "r"), "--data-dir", TestPaths.NewTempFolder());
        Assert.Equal(1, code);
        Assert.Contains("make data", output);
    }
}
