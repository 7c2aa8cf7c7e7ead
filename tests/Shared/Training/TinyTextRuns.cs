using LatentEbm.Data.Text;
using LatentEbm.Training.Text;
using LatentEbm.Training.Text.Evaluation;

namespace LatentEbm.Tests.Shared;

/// <summary>
/// Tiny text runs for the evaluation tests, in a temp folder: 24 real PTB training sentences of at most 15 words, 8
/// validation ones, a test file of real PTB test lines (some longer than 15 words, to be skipped) with an empty line; runs
/// of nz 3 and 8-unit networks trained one epoch (a second or two each), and evaluation settings small enough for seconds.
/// Compiled into the test projects that reference training/.
/// </summary>
internal sealed class TinyTextRuns : IDisposable
{
    /// <summary>The longest sentence the runs keep.</summary>
    public const int MaxWords = 15;

    public TinyTextRuns()
    {
        Root = Path.Combine(Path.GetTempPath(), $"text-eval-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Root);
        File.WriteAllLines(Path.Combine(Root, "train.txt"), Lines("ptb.train.head.txt", 24));
        File.WriteAllLines(Path.Combine(Root, "valid.txt"), Lines("ptb.valid.txt", 8));
        TestLines = [.. TextCorpus.Lines(Path.Combine(TestPaths.TextCorpora, "ptb.test.txt")).Take(20)];
        TestLines.Insert(3, "");
        File.WriteAllLines(TestPath, TestLines);
    }

    /// <summary>The temp folder.</summary>
    public string Root { get; }

    /// <summary>The test file.</summary>
    public string TestPath => Path.Combine(Root, "test.txt");

    /// <summary>The test file's lines, as written.</summary>
    public List<string> TestLines { get; }

    /// <summary>The evaluation settings of the tests: N = 4, M = 16, 20 importance samples from 2 chains, 1,000 log Z samples, an 8-unit language model for 2 epochs.</summary>
    public static TextEvaluationSettings Settings => new()
    {
        TestSentences = 4, GeneratedSentences = 16, Seed = 3, GenerationBatchSize = 8, Examples = 2,
        ImportanceSampling = new ImportanceSamplingSettings { Samples = 20, ProposalChains = 2, LogPartitionSamples = 1000, BatchSize = 3 },
        LanguageModel = new LanguageModelSettings { EmbeddingSize = 8, HiddenSize = 8, Epochs = 2, BatchSize = 8 },
    };

    private static IEnumerable<string> Lines(string file, int count) =>
        TextCorpus.Lines(Path.Combine(TestPaths.TextCorpora, file)).Where(l => Vocabulary.Words(l).Length is > 0 and <= MaxWords).Take(count);

    /// <summary>Trains a run of one epoch in <c>Root/name</c> and returns its folder.</summary>
    public string Train(string name, bool gaussian, int seed = 5)
    {
        string folder = Path.Combine(Root, name);
        var config = new TextRunConfig
        {
            Model = new TextTrainingSettings
            {
                Nz = 3, EmbeddingSize = 8, HiddenSize = 8, Dropout = 0.1, PriorHidden = [8], BatchSize = 8,
                PriorSteps = 3, PosteriorSteps = 3, Seed = seed, GaussianPrior = gaussian,
            },
            Epochs = 1, TrainPath = Path.Combine(Root, "train.txt"), ValidationPath = Path.Combine(Root, "valid.txt"),
            MaxWords = MaxWords, ValidationSentences = 8,
        };
        using var run = TextTrainingRun.Start(folder, config);
        run.TrainToEnd();
        return folder;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
