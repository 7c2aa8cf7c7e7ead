using LatentEbm.Onnx.Layers;

namespace LatentEbm.Onnx.Graphs;

/// <summary>
/// What the exporter needs of a trained latent EBM: the prior network f_alpha (<c>[B, nz]</c> →
/// <c>[B, 1]</c>, the negative energy), the generator g_theta (<c>[B, nz]</c> → <c>[B, C, H, W]</c>),
/// and sigma, sigma0 (PAPER.md, "Model"); and, for a model with an amortised posterior, the encoder q(z|x)
/// (<c>[B, C, H, W]</c> → <c>[B, 2·nz]</c>, mu then log sigma²; PAPER.md, "Amortised posterior").
/// </summary>
public sealed record LatentEbmSpec
{
    /// <summary>Checks the networks' shapes.</summary>
    /// <exception cref="OnnxExportException">The networks do not fit together.</exception>
    public LatentEbmSpec(Network prior, Network generator, double sigma, double sigma0)
    {
        if (prior.InputShape.Length != 2 || prior.OutputShape is not [_, 1])
            throw new OnnxExportException($"the prior must map [B, nz] to [B, 1]; it maps {Text(prior.InputShape)} to {Text(prior.OutputShape)}");
        if (generator.InputShape.Length != 2 || generator.InputShape[1] != prior.InputShape[1] || generator.OutputShape.Length != 4)
            throw new OnnxExportException($"the generator must map [B, {prior.InputShape[1]}] to [B, C, H, W]; it maps {Text(generator.InputShape)} to {Text(generator.OutputShape)}");
        if (!(sigma > 0) || !(sigma0 > 0)) throw new OnnxExportException("sigma and sigma0 must be positive");
        Prior = prior; Generator = generator; Sigma = sigma; Sigma0 = sigma0;
    }

    /// <summary>f_alpha.</summary>
    public Network Prior { get; }
    /// <summary>g_theta.</summary>
    public Network Generator { get; }
    /// <summary>Generator noise sigma.</summary>
    public double Sigma { get; }
    /// <summary>Reference prior sigma0.</summary>
    public double Sigma0 { get; }
    /// <summary>
    /// The encoder of q(z|x) = N(mu(x), diag exp(log_var(x))), <c>[B, C, H, W]</c> → <c>[B, 2·nz]</c> (the first nz columns
    /// mu, the last nz log sigma²), or null for a model whose posterior chains start from noise.
    /// </summary>
    /// <exception cref="OnnxExportException">Set to a network that does not map the generator's image shape to <c>[B, 2·nz]</c>.</exception>
    public Network? Encoder
    {
        get;
        init
        {
            if (value is not null && (!value.InputShape.AsSpan(1).SequenceEqual(ImageShape) || value.InputShape.Length != 4 || value.OutputShape is not [_, var width] || width != 2 * Nz))
                throw new OnnxExportException($"the encoder must map [B, {string.Join(", ", ImageShape)}] to [B, {2 * Nz}]; it maps {Text(value.InputShape)} to {Text(value.OutputShape)}");
            field = value;
        }
    }

    /// <summary>Latent dimension.</summary>
    public long Nz => Prior.InputShape[1];
    /// <summary>Image shape <c>[C, H, W]</c>.</summary>
    public long[] ImageShape => Generator.OutputShape[1..];

    private static string Text(long[] s) => $"[{string.Join(", ", s.Select(d => d < 0 ? "B" : d.ToString()))}]";
}
