using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Runtime;

/// <summary>One measured disagreement of libtorch float32 with float64.</summary>
/// <param name="Quantity">What was compared ("forward", "input gradient", "weight gradient of ...").</param>
/// <param name="RelativeError">max |float32 − float64| / max |float64|.</param>
public sealed record SelfCheckError(string Quantity, double RelativeError);

/// <summary>
/// A startup check that libtorch's float32 convolutions are right on this CPU: two small stacks,
/// Conv2d → BatchNorm2d (batch statistics) → LeakyReLU(0.2) → ConvTranspose2d(k4 s2 p1) → tanh, one
/// with 2–4 channels (the shapes that failed on AVX-512) and one with a generator's 32–64, run in float32
/// and in float64 on the same weights and inputs; the forward pass, the input gradient and every
/// weight gradient must agree within <see cref="Bound"/> (float32 rounding gives about 1e-6 here; the
/// AVX-512 fault gave 6.7e-2 to 1.45). Functional operations on a private generator: the global torch
/// generator is not touched, so seeded training is unchanged.
/// </summary>
public static class ConvolutionSelfCheck
{
    /// <summary>The largest relative error accepted (max-abs error over max-abs float64 value).</summary>
    public const double Bound = 1e-4;

    private static readonly Lazy<IReadOnlyList<SelfCheckError>> Measured = new(() => Measure());

    /// <summary>
    /// Runs the check once per process (later calls return the first verdict) after
    /// <see cref="TorchRuntime.Initialize"/>.
    /// </summary>
    /// <exception cref="ConvolutionSelfCheckException">float32 disagrees with float64; the message names the CPU features and the setting.</exception>
    public static void EnsurePasses()
    {
        TorchRuntime.Initialize();
        ThrowIfWrong(Measured.Value);
    }

    /// <summary>Throws when any error in <paramref name="errors"/> exceeds <see cref="Bound"/>.</summary>
    /// <exception cref="ConvolutionSelfCheckException">Some quantity is over the bound.</exception>
    public static void ThrowIfWrong(IReadOnlyList<SelfCheckError> errors)
    {
        var wrong = errors.Where(e => !(e.RelativeError <= Bound)).ToList();
        if (wrong.Count > 0) throw new ConvolutionSelfCheckException(wrong, CpuFeatures.Describe(), TorchRuntime.DescribeSetting(), TorchRuntime.IsUserSetting);
    }

    /// <summary>
    /// Measures every quantity of both stacks. <paramref name="corruptFloat32Gradient"/> alters the float32
    /// input gradients before the comparison (tests use it to prove that a wrong gradient fails).
    /// </summary>
    /// <returns>The relative error of each quantity, worst first.</returns>
    public static IReadOnlyList<SelfCheckError> Measure(Func<Tensor, Tensor>? corruptFloat32Gradient = null)
    {
        TorchRuntime.Initialize();
        using var scope = NewDisposeScope();
        using var gradients = enable_grad(); // also when first called under no_grad
        var generator = new Generator(20201106);
        var errors = new List<SelfCheckError>();
        foreach (var (name, cIn, cMid, cOut, side, batch) in new[] { ("small", 2, 3, 2, 4, 3), ("generator-sized", 32, 64, 32, 8, 4) })
        {
            var parameters = new[]
            {
                randn([cMid, cIn, 3, 3], generator: generator) * 0.3,                                           // conv weight (no bias: batch norm removes it)
                randn(cMid, generator: generator) * 0.5 + 1, randn(cMid, generator: generator) * 0.1,          // batch-norm gamma, beta
                randn([cMid, cOut, 4, 4], generator: generator) * 0.2, randn(cOut, generator: generator) * 0.1, // transposed conv weight (in, out, k, k), bias
            };
            var x = randn([batch, cIn, side, side], generator: generator);
            var upstream = randn([batch, cOut, 2 * side, 2 * side], generator: generator);
            var single = Run(x, parameters, upstream, float32);
            var exact = Run(x, parameters, upstream, float64);
            if (corruptFloat32Gradient is not null) single[1] = corruptFloat32Gradient(single[1]);
            string[] quantities = ["forward", "input gradient", "conv weight gradient", "batch-norm gamma gradient",
                "batch-norm beta gradient", "transposed conv weight gradient", "transposed conv bias gradient"];
            for (int i = 0; i < quantities.Length; i++)
                errors.Add(new SelfCheckError($"{quantities[i]} ({name} stack)", RelativeError(single[i], exact[i])));
        }
        return [.. errors.OrderByDescending(e => double.IsNaN(e.RelativeError) ? double.PositiveInfinity : e.RelativeError)];
    }

    /// <summary>The stack's output and the gradients of &lt;upstream, output&gt; with respect to x and each parameter.</summary>
    private static Tensor[] Run(Tensor x, Tensor[] parameters, Tensor upstream, ScalarType dtype)
    {
        var xs = x.to(dtype).requires_grad_(true);
        var ps = parameters.Select(p => p.to(dtype).requires_grad_(true)).ToArray();
        var h = nn.functional.conv2d(xs, ps[0], null, padding: [1, 1]);
        h = nn.functional.batch_norm(h, null, null, ps[1], ps[2], training: true);
        h = nn.functional.leaky_relu(h, 0.2);
        var y = nn.functional.conv_transpose2d(h, ps[3], ps[4], strides: [2, 2], padding: [1, 1]).tanh();
        var grads = autograd.grad([y], [xs, .. ps], [upstream.to(dtype)]);
        return [y.detach(), .. grads.Select(g => g.detach())];
    }

    private static double RelativeError(Tensor single, Tensor exact)
    {
        double scale = exact.abs().max().ToDouble();
        return (single.to(float64) - exact).abs().max().ToDouble() / Math.Max(scale, 1e-30);
    }
}
