using LatentEbm.Training.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LatentEbm.Training.Model;

/// <summary>
/// The amortised posterior q_phi(z|x) = N(mu(x), diag exp(log_var(x))) that starts the posterior Langevin
/// chains (PAPER.md, "Amortised posterior": the dual-MCMC recipe). One network maps an image to
/// <c>[B, 2·nz]</c>: the first nz columns are mu, the last nz log sigma² (natural log, unbounded).
/// Two layouts, each the mirror of a generator: <see cref="Mlp"/> (C·H·W → h → ... → 2nz, LeakyReLU 0.2)
/// and <see cref="Conv"/> (Conv2d k4 s2 p1 stages down to the generator's start size, LeakyReLU 0.2, then
/// Linear to 2nz).
/// </summary>
public sealed class Encoder : nn.Module<Tensor, Tensor>, ILayerSequence
{
    private readonly Sequential layers;

    private Encoder(string layout, int nz, IReadOnlyList<int> imageShape, IEnumerable<(string, nn.Module<Tensor, Tensor>)> modules) : base(nameof(Encoder))
    {
        Nz = nz;
        ImageShape = imageShape;
        Layout = layout;
        layers = nn.Sequential(modules.ToArray());
        RegisterComponents();
    }

    /// <summary>Latent dimension nz.</summary>
    public int Nz { get; }

    /// <summary>Input image shape <c>[C, H, W]</c>.</summary>
    public IReadOnlyList<int> ImageShape { get; }

    /// <summary>"mlp" or "conv".</summary>
    public string Layout { get; }

    /// <summary>The MLP encoder: flatten, then <paramref name="hidden"/> widths with LeakyReLU(0.2), then Linear to 2·nz (PyTorch's default initialisation).</summary>
    /// <param name="nz">Latent dimension.</param>
    /// <param name="hidden">Hidden widths, image side first (the generator's, reversed: e.g. 800, 400).</param>
    /// <param name="channels">Image channels C.</param>
    /// <param name="height">Image height H.</param>
    /// <param name="width">Image width W.</param>
    public static Encoder Mlp(int nz, IReadOnlyList<int> hidden, int channels, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nz);
        int[] widths = [channels * height * width, .. hidden, 2 * nz];
        var modules = new List<(string, nn.Module<Tensor, Tensor>)> { ("flatten", nn.Flatten()) };
        for (int i = 0; i < widths.Length - 1; i++)
        {
            modules.Add(($"linear{i}", nn.Linear(widths[i], widths[i + 1])));
            if (i < widths.Length - 2) modules.Add(($"act{i}", nn.LeakyReLU(Activations.LeakySlope)));
        }
        return new Encoder("mlp", nz, [channels, height, width], modules);
    }

    /// <summary>
    /// The conv encoder, the mirror of <see cref="ConvGenerator"/> of the same ngf: Conv2d(k4, s2, p1) stages from C
    /// channels to 2·ngf, 4·ngf, ... while halving the size down to the generator's start size (4 or 7), LeakyReLU(0.2)
    /// after each, then flatten and Linear to 2·nz. Xavier-normal conv weights as the generator's.
    /// </summary>
    /// <exception cref="ArgumentException">The image size is not one the conv generator makes (<see cref="ConvGenerator.Plan"/>).</exception>
    public static Encoder Conv(int nz, int ngf, int channels, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nz);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ngf);
        var (start, stages) = ConvGenerator.Plan(height, width);
        TorchRuntime.Initialize(); // libtorch's convolution setting before the first one (issue 10)
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        long inChannels = channels, outChannels = 2L * ngf;
        for (int i = 0; i < stages; i++)
        {
            modules.Add(($"conv{i}", nn.Conv2d(inChannels, outChannels, 4, stride: 2, padding: 1)));
            modules.Add(($"act{i}", nn.LeakyReLU(Activations.LeakySlope)));
            inChannels = outChannels;
            outChannels *= 2;
        }
        modules.Add(("flatten", nn.Flatten()));
        modules.Add(("linear", nn.Linear(inChannels * start * start, 2L * nz)));
        var encoder = new Encoder("conv", nz, [channels, height, width], modules);
        using (no_grad())
            foreach (var conv in encoder.layers.children().OfType<Conv2d>())
                nn.init.xavier_normal_(conv.weight!);
        return encoder;
    }

    /// <summary>The raw output: <c>[B, 2·nz]</c>, mu then log sigma².</summary>
    /// <param name="x">Images <c>[B, C, H, W]</c> in the observation's range.</param>
    public override Tensor forward(Tensor x) => layers.forward(x);

    /// <summary>mu(x) and log sigma²(x) of q(z|x), each <c>[B, nz]</c>.</summary>
    /// <param name="x">Images <c>[B, C, H, W]</c>.</param>
    public (Tensor Mean, Tensor LogVariance) Gaussian(Tensor x)
    {
        var output = forward(x);
        var parts = output.split([Nz, Nz], 1);
        return (parts[0], parts[1]);
    }

    /// <summary>
    /// log q(z|x) per row, in nats: −½ Σ_j [(z_j − mu_j)² exp(−log sigma²_j) + log sigma²_j + log 2π]
    /// (the diagonal Gaussian density).
    /// </summary>
    /// <param name="x">Images <c>[B, C, H, W]</c>.</param>
    /// <param name="z">Latents <c>[B, nz]</c> (the caller detaches them when fitting q to chain end points).</param>
    /// <returns><c>[B]</c>, differentiable with respect to the encoder's parameters.</returns>
    public Tensor LogDensity(Tensor x, Tensor z)
    {
        var (mean, logVariance) = Gaussian(x);
        return ((z - mean).square() * (-logVariance).exp() + logVariance + Math.Log(2 * Math.PI)).sum(1) * -0.5;
    }

    /// <summary>A draw z = mu + exp(½ log sigma²) · eps per row, without autograd (a chain start).</summary>
    /// <param name="x">Images <c>[B, C, H, W]</c>.</param>
    /// <param name="eps">Standard normal noise <c>[B, nz]</c>.</param>
    public Tensor Sample(Tensor x, Tensor eps)
    {
        using var _ = no_grad();
        var (mean, logVariance) = Gaussian(x);
        return (mean + (logVariance * 0.5).exp() * eps).detach();
    }

    /// <summary>mu(x) without autograd: the deterministic start of test-time chains.</summary>
    /// <param name="x">Images <c>[B, C, H, W]</c>.</param>
    public Tensor Mean(Tensor x)
    {
        using var _ = no_grad();
        return Gaussian(x).Mean.detach();
    }

    /// <inheritdoc />
    public long[] InputShape => [.. ImageShape.Select(d => (long)d)];

    /// <inheritdoc />
    public IEnumerable<nn.Module> Layers() => layers.children();
}
