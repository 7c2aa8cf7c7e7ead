using System.Globalization;
using System.Text.Json;
using LatentEbm.Inference.Text;
using LatentEbm.Tests.Shared;
using LatentEbm.Training.Text.Evaluation;

namespace LatentEbm.Cli.Tests;

/// <summary>
/// <c>latent-ebm text anomaly</c> on the tiny text bundle (<see cref="TinyTextBundle"/>) and small corpora written here: the
/// EBM column of scores.csv equals <see cref="TextLatentEbmInference.Score"/>, the language-model column equals an
/// <see cref="LstmLanguageModel"/> trained here with the same settings on the same sentences, and bad input is exit code 1
/// naming the problem.
/// </summary>
public class TextAnomalyCommandTests
{
    private static readonly string[] Ptb = ["alpha bravo", "alpha bravo charlie", "bravo alpha", "charlie delta alpha", "alpha", "delta echo foxtrot", "golf alpha bravo"];
    private static readonly string[] Train =
        ["alpha bravo charlie", "bravo charlie", "alpha alpha bravo", "delta echo", "charlie delta echo foxtrot", "alpha bravo charlie delta echo foxtrot golf alpha bravo charlie", "golf", "echo foxtrot golf"];

    /// <summary>A data folder (text/ptb.test.txt, text/ptb.train.head.txt, text/tinyshakespeare.txt) and a fortune file.</summary>
    private static (string Data, string Fortunes) Corpora()
    {
        string root = TestPaths.NewTempFolder(), text = Path.Combine(root, "text");
        Directory.CreateDirectory(text);
        File.WriteAllLines(Path.Combine(text, "ptb.test.txt"), Ptb.Select(s => " " + s + " "));
        File.WriteAllLines(Path.Combine(text, "ptb.train.head.txt"), Train);
        File.WriteAllText(Path.Combine(text, "tinyshakespeare.txt"),
            "First Citizen:\nThou art golf, I say.\nAlpha doth bravo!\n\nSecond Citizen:\nHark, foxtrot.\nGolf golf.\n");
        string fortunes = Path.Combine(root, "fortunes");
        File.WriteAllText(fortunes, "You will meet a golf.\n%\nEcho, echo, foxtrot\n\t\t-- Someone\n%\nAlpha.\n%\n");
        return (root, fortunes);
    }

    [Fact]
    public void TheReportsScoresAreTheBundlesAndALanguageModelsTrainedAlike()
    {
        var (data, fortunes) = Corpora();
        string output = Path.Combine(TestPaths.NewTempFolder(), "text-anomaly");
        var (code, log) = CliRunner.Run("text", "anomaly", "--bundle", TinyTextBundle.Bundle, "--data-dir", data, "--fortunes", fortunes, "--out", output,
            "--shakespeare-lines", "3", "--set-seed", "2", "--seed", "3", "--lm-epochs", "2", "--threads", "1");
        Assert.True(code == 0, log);
        var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json"))).RootElement;
        var lm = report.GetProperty("baselines").GetProperty("lstm_lm_nll_per_token");
        Assert.Equal(2, lm.GetProperty("epochs").GetInt32());
        Assert.Equal(Train.Length - 1, lm.GetProperty("training_sentences").GetInt32()); // one training sentence is over 9 words
        Assert.Equal(1, lm.GetProperty("skipped_training_sentences").GetInt32());
        Assert.True(lm.GetProperty("train_seconds").GetDouble() > 0);
        Assert.Equal(Ptb.Length, report.GetProperty("set").GetProperty("counts").GetProperty("penn_treebank").GetInt32());
        Assert.Equal(3, report.GetProperty("set").GetProperty("counts").GetProperty("tiny_shakespeare").GetInt32());
        Assert.Equal(3, report.GetProperty("set").GetProperty("counts").GetProperty("fortune").GetInt32());
        string command = report.GetProperty("command").GetString()!;
        Assert.StartsWith($"./latent-ebm text anomaly --bundle {TinyTextBundle.Bundle} --data-dir {data} --out {output} --fortunes {fortunes} --shakespeare-lines 3 --set-seed 2 --seed 3 --lm-epochs 2", command);
        Assert.Contains($"- Command: `{command}`", File.ReadAllText(Path.Combine(output, "report.md")));

        var rows = File.ReadAllLines(Path.Combine(output, "scores.csv")).Skip(1).Select(l => l.Split(',', 5)).ToArray();
        string[] sentences = [.. rows.Select(r => r[4].Trim('"'))];
        Assert.Equal(Ptb, sentences.Take(Ptb.Length));
        using var bundle = TextLatentEbmInference.Open(TinyTextBundle.Bundle);
        Assert.Equal(bundle.Score(sentences, 3).Select(s => (double)s), rows.Select(r => double.Parse(r[2], CultureInfo.InvariantCulture)));

        TorchSharp.torch.set_num_threads(1);
        var settings = new LanguageModelSettings { Epochs = 2 };
        var train = Train.Where(s => s.Split(' ').Length <= TinyTextBundle.MaxWords).Select(s => bundle.Vocabulary.Tokenize(s).Ids).ToList();
        using var model = LstmLanguageModel.Train(bundle.Vocabulary.Count, train, settings);
        var expected = model.NegativeLogLikelihood([.. sentences.Select(s => bundle.Vocabulary.Tokenize(s).Ids)]).Nll.PerTokenOfEach;
        var actual = rows.Select(r => double.Parse(r[3], CultureInfo.InvariantCulture)).ToArray();
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i], 1e-9);
        // Sentences with words outside the vocabulary score differently from in-vocabulary ones: the column is no constant.
        Assert.True(actual.Distinct().Count() > 1);
    }

    [Fact]
    public void AnImageBundleOrAMissingCorpusIsExitCode1NamingIt()
    {
        var (data, fortunes) = Corpora();
        string output = Path.Combine(TestPaths.NewTempFolder(), "text-anomaly");
        var (code, log) = CliRunner.Run("text", "anomaly", "--bundle", Path.Combine(TestPaths.RepositoryRoot, "models", "mnist-digit4"), "--data-dir", data, "--fortunes", fortunes, "--out", output);
        Assert.Equal(1, code);
        Assert.Contains("not a text bundle", log);
        File.Delete(Path.Combine(data, "text", "ptb.test.txt"));
        (code, log) = CliRunner.Run("text", "anomaly", "--bundle", TinyTextBundle.Bundle, "--data-dir", data, "--fortunes", fortunes, "--out", output);
        Assert.Equal(1, code);
        Assert.Contains("ptb.test.txt", log);
        Assert.False(Directory.Exists(output));
    }
}
