namespace LatentEbm.Data.Tests;

public class ReferencePythonTests
{
    [Fact]
    public void AMissingReferencePackageFailsTheTestNamingThePackage()
    {
        // The scipy and Pillow comparisons fail, never skip, where their package is missing.
        var error = Assert.Throws<InvalidOperationException>(() => ReferencePython.Run("no_such_module_for_latent_ebm", "python3-no-such-package", "-c", "pass"));
        Assert.Contains("python3 cannot import no_such_module_for_latent_ebm: `sudo apt-get install -y python3-no-such-package` (.ci/run installs it)", error.Message);
        Assert.Equal("42", ReferencePython.Run("sys", "python3", "-c", "print(6 * 7)").Trim());
    }
}
