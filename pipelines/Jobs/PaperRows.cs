namespace LatentEbm.Pipelines.Jobs;

/// <summary>The MNIST anomaly-detection table of PAPER.md (AUPRC per held-out digit), for side-by-side reports.</summary>
public static class PaperRows
{
    /// <summary>Held-out digits of the table.</summary>
    public static readonly int[] Digits = [1, 4, 5, 7, 9];

    /// <summary>Model name → AUPRC per digit (null where the source gives none).</summary>
    public static readonly IReadOnlyList<(string Model, double?[] Auprc)> Rows =
    [
        ("VAE", [0.063, 0.337, 0.325, 0.148, 0.104]),
        ("MEG", [0.281, 0.401, 0.402, 0.290, 0.342]),
        ("BiGAN-sigma", [0.287, 0.443, 0.514, 0.347, 0.307]),
        ("LEBM (the paper)", [0.336, 0.630, 0.619, 0.463, 0.413]),
        ("joint latent EBM (ICCV 2023)", [0.722, 0.949, 0.980, 0.941, 0.935]),
        ("diffusion-amortized MCMC (NeurIPS 2023)", [0.684, 0.911, 0.939, 0.801, null]),
    ];

    /// <summary>The row values of <paramref name="digit"/>, or null when the table has no column for it.</summary>
    public static IEnumerable<(string Model, double? Auprc)> For(int digit)
    {
        int column = Array.IndexOf(Digits, digit);
        return column < 0 ? [] : Rows.Select(r => (r.Model, r.Auprc[column]));
    }
}
