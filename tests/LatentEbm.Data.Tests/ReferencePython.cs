using LatentEbm.Tests.Shared;

namespace LatentEbm.Data.Tests;

/// <summary>
/// Debian's <c>/usr/bin/python3</c> with the packages the data tests use as independent references:
/// python3-scipy (<c>scipy.io.savemat</c> writes MAT-files) and python3-pil (Pillow decodes and resizes
/// images). <c>.ci/run</c> installs them. A test that needs one fails, never skips, when it is missing.
/// </summary>
internal static class ReferencePython
{
    private const string Python = "/usr/bin/python3";

    /// <summary>Runs <paramref name="arguments"/> under <c>python3 -P</c> after checking that <paramref name="module"/> imports; returns stdout.</summary>
    /// <exception cref="InvalidOperationException">Python or the module is missing (the message names the Debian package), or the script failed.</exception>
    public static string Run(string module, string package, params string[] arguments)
    {
        if (!File.Exists(Python))
            throw new InvalidOperationException($"{Python} is missing: install Debian's python3 and {package} (.ci/run installs {package})");
        var (probe, probeOutput) = ProcessRunner.Run(Python, ["-P", "-c", $"import {module}"]);
        if (probe != 0)
            throw new InvalidOperationException($"python3 cannot import {module}: `sudo apt-get install -y {package}` (.ci/run installs it)\n{probeOutput}");
        // -P: never import from the working folder.
        var (exit, output) = ProcessRunner.Run(Python, ["-P", .. arguments]);
        if (exit != 0) throw new InvalidOperationException($"python3 {string.Join(' ', arguments)} failed ({exit}):\n{output}");
        return output;
    }
}
