using LatentEbm.Training.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LatentEbm.Training.Model;

/// <summary>
/// The paper's ConvTranspose generator g_theta(z) (PAPER.md, "Hyper-parameters of the official SVHN
/// script"): z <c>[B, nz]</c> is viewed as <c>[B, nz, 1, 1]</c>; a ConvTranspose(k = start, s1, p0)
/// makes a start x start map of ngf·2ⁿ channels, then n − 1 stages ConvTranspose(k4, s2, p1) halve
/// the channels and double the size, and a last ConvTranspose(k4, s2, p1) makes C channels; LeakyReLU(0.2)
/// between, tanh out, no BatchNorm; Xavier-normal ConvTranspose weights, PyTorch's default biases.
/// Sizes: start 4 for H = 4·2ⁿ (32x32: nz → 8ngf 4x4 → 4ngf 8x8 → 2ngf 16x16 → C 32x32, the paper's
/// SVHN net with ngf = 64; 64x64 one stage more) and start 7 for H = 7·2ⁿ (28x28: nz → 4ngf 7x7 →
/// 2ngf 14x14 → C 28x28).
/// </summary>
public sealed class ConvGenerator : nn.Module<Tensor, Tensor>, ILayerSequence
{
    private readonly Sequential layers;

    /// <summary>Builds the stack for square images of <paramref name="height"/> x <paramref name="width"/>.</summary>
    /// <param name="nz">Latent dimension.</param>
    /// <param name="ngf">Base width: the last hidden stage has 2·ngf channels.</param>
    /// <param name="channels">Image channels C.</param>
    /// <param name="height">Image height H.</param>
    /// <param name="width">Image width W (= H).</param>
    /// <exception cref="ArgumentException">Not square, or H is not 4·2ⁿ or 7·2ⁿ with n ≥ 1.</exception>
    public ConvGenerator(int nz, int ngf, int channels, int height, int width) : base(nameof(ConvGenerator))
    {
        var (start, stages) = Plan(height, width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nz);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ngf);
        TorchRuntime.Initialize(); // libtorch's convolution setting before the first one (issue 10)
        ImageShape = [channels, height, width];
        Nz = nz;
        var modules = new List<(string, nn.Module<Tensor, Tensor>)> { ("unflatten", nn.Unflatten(1, [nz, 1, 1])) };
        long inChannels = nz, outChannels = (long)ngf << stages;
        modules.Add(("convt0", nn.ConvTranspose2d(inChannels, outChannels, start, stride: 1, padding: 0)));
        for (int i = 1; i <= stages; i++)
        {
            modules.Add(($"act{i - 1}", nn.LeakyReLU(Activations.LeakySlope)));
            inChannels = outChannels;
            outChannels = i == stages ? channels : outChannels / 2;
            modules.Add(($"convt{i}", nn.ConvTranspose2d(inChannels, outChannels, 4, stride: 2, padding: 1)));
        }
        modules.Add(("tanh", nn.Tanh()));
        layers = nn.Sequential(modules.ToArray());
        RegisterComponents();
        using (no_grad())
            foreach (var module in layers.children().OfType<ConvTranspose2d>())
                nn.init.xavier_normal_(module.weight!);
    }

    /// <summary>Image shape <c>[C, H, W]</c> of the output.</summary>
    public IReadOnlyList<int> ImageShape { get; }

    /// <summary>Latent dimension nz.</summary>
    public int Nz { get; }

    /// <summary>The start size and the number of stride-2 stages for an H x W image.</summary>
    /// <exception cref="ArgumentException">No ConvTranspose stack of this family makes that size.</exception>
    public static (int Start, int Stages) Plan(int height, int width)
    {
        if (height != width) throw new ArgumentException($"the conv generator makes square images; got {height}x{width}");
        foreach (int start in new[] { 4, 7 })
            for (int n = 1; start << n <= height; n++)
                if (start << n == height) return (start, n);
        throw new ArgumentException($"the conv generator makes images of 4·2ⁿ or 7·2ⁿ pixels a side (28, 32, 64, ...); got {height}x{width}");
    }

    /// <summary>g_theta(z).</summary>
    /// <param name="z">Latents <c>[B, nz]</c>.</param>
    /// <returns>Images <c>[B, C, H, W]</c> in [-1, 1].</returns>
    public override Tensor forward(Tensor z) => layers.forward(z);

    /// <inheritdoc />
    public long[] InputShape => [Nz];

    /// <inheritdoc />
    public IEnumerable<nn.Module> Layers() => layers.children();
}
