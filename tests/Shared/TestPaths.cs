namespace LatentEbm.Tests.Shared;

/// <summary>Where tests find the repository, the oracle fixtures and the MNIST cache.</summary>
internal static class TestPaths
{
    /// <summary>The repository root (the folder holding LatentEbm.sln).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>A fixture copied next to the test assembly (tests/fixtures/NAME).</summary>
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    /// <summary>The MNIST folder fetched by <c>make data</c> (or $LATENT_EBM_DATA/mnist). Fails, never skips, when absent.</summary>
    public static string Mnist
    {
        get
        {
            string root = Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? Path.Combine(RepositoryRoot, ".cache", "data");
            string folder = Path.Combine(root, "mnist");
            if (!File.Exists(Path.Combine(folder, "train-images-idx3-ubyte")))
                throw new InvalidOperationException($"MNIST is not in {folder}: run `make data` first (make test does)");
            return folder;
        }
    }

    /// <summary>The CIFAR-10 folder that <c>make data</c> unpacks (or $LATENT_EBM_DATA/cifar-10). Fails, never skips, when absent.</summary>
    public static string Cifar10
    {
        get
        {
            string root = Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? Path.Combine(RepositoryRoot, ".cache", "data");
            string folder = Path.Combine(root, "cifar-10");
            if (!Directory.Exists(Path.Combine(folder, "cifar-10-jpg", "test")))
                throw new InvalidOperationException($"CIFAR-10 is not in {folder}: run `make data` first (make test does)");
            return folder;
        }
    }

    /// <summary>The text corpora that <c>make data</c> copies (or $LATENT_EBM_DATA/text): Penn Treebank and Tiny Shakespeare. Fails, never skips, when absent.</summary>
    public static string TextCorpora
    {
        get
        {
            string root = Environment.GetEnvironmentVariable("LATENT_EBM_DATA") ?? Path.Combine(RepositoryRoot, ".cache", "data");
            string folder = Path.Combine(root, "text");
            if (!File.Exists(Path.Combine(folder, "ptb.test.txt")))
                throw new InvalidOperationException($"the text corpora are not in {folder}: run `make data` first (make test does)");
            return folder;
        }
    }

    /// <summary>A new empty folder under the system temp folder.</summary>
    public static string NewTempFolder()
    {
        string path = Path.Combine(Path.GetTempPath(), "latent-ebm-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LatentEbm.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no LatentEbm.sln above {AppContext.BaseDirectory}");
    }
}
