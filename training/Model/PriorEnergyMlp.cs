using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LatentEbm.Training.Model;

/// <summary>
/// The prior's negative energy f_alpha(z): an MLP <c>nz -> h -> ... -> 1</c> with one activation
/// between linear layers, returning one scalar per row. Sign convention of the whole code base:
/// f is the <b>negative</b> energy, E = -f, and p_alpha(z) ∝ exp(f_alpha(z)) N(0, sigma0^2 I)
/// (PAPER.md, "Model"; the official code's network returns E instead).
/// </summary>
public sealed class PriorEnergyMlp : nn.Module<Tensor, Tensor>, IInputGradient, ILayerSequence
{
    private readonly ModuleList<Linear> linears;
    private readonly nn.Module<Tensor, Tensor> activation;

    /// <summary>Creates the MLP with PyTorch's default initialisation.</summary>
    /// <param name="widths">Layer widths, input first, ending with 1, e.g. <c>[nz, 200, 200, 1]</c>.</param>
    /// <param name="activationName"><c>leaky_relu</c> or <c>gelu</c>.</param>
    /// <exception cref="ArgumentException">Fewer than two widths, or the last is not 1.</exception>
    public PriorEnergyMlp(IReadOnlyList<int> widths, string activationName) : base(nameof(PriorEnergyMlp))
    {
        if (widths.Count < 2 || widths[^1] != 1)
            throw new ArgumentException($"prior widths must run from nz to 1, got [{string.Join(", ", widths)}]");
        Widths = [.. widths];
        ActivationName = activationName;
        linears = new ModuleList<Linear>([.. Enumerable.Range(0, widths.Count - 1).Select(i => nn.Linear(widths[i], widths[i + 1]))]);
        activation = Activations.Create(activationName);
        RegisterComponents();
    }

    /// <summary>Layer widths, input first.</summary>
    public IReadOnlyList<int> Widths { get; }

    /// <summary>Activation name between linear layers.</summary>
    public string ActivationName { get; }

    /// <summary>The linear layers, input first.</summary>
    public IReadOnlyList<Linear> Linears => [.. linears];

    /// <summary>f_alpha(z).</summary>
    /// <param name="z">Latents <c>[B, nz]</c>.</param>
    /// <returns>Negative energies <c>[B]</c>.</returns>
    public override Tensor forward(Tensor z)
    {
        using var scope = NewDisposeScope();
        Tensor h = z;
        for (int i = 0; i < linears.Count; i++)
        {
            h = linears[i].forward(h);
            if (i < linears.Count - 1) h = activation.forward(h);
        }
        return h.squeeze(-1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public long[] InputShape => [Widths[0]];

    /// <inheritdoc />
    /// <remarks>As a network f maps <c>[B, nz]</c> to <c>[B, 1]</c> (the forward pass squeezes the last axis).</remarks>
    public IEnumerable<nn.Module> Layers()
    {
        for (int i = 0; i < linears.Count; i++)
        {
            yield return linears[i];
            if (i < linears.Count - 1) yield return activation;
        }
    }

    /// <inheritdoc />
    /// <remarks>The output of <see cref="MlpLayers.Forward"/> is <c>[B, 1]</c>.</remarks>
    public MlpLayers LayersFor(ScalarType matmulType) =>
        new(Linears, [.. Enumerable.Range(0, linears.Count).Select(i => i < linears.Count - 1 ? ActivationName : null)], matmulType);
}
