namespace LatentEbm.Inference.Bundles;

/// <summary>The graph roles of a bundle and their signatures (float32; B symbolic; K fixed per file).</summary>
public static class BundleRoles
{
    /// <summary><c>z [B, nz] → f [B]</c>.</summary>
    public const string PriorEnergy = "prior_energy";
    /// <summary><c>z [B, nz] → f [B], grad_z [B, nz]</c>.</summary>
    public const string PriorEnergyGrad = "prior_energy_grad";
    /// <summary><c>z [B, nz], noise [K, B, nz], step_size [] → z_out [B, nz]</c>.</summary>
    public const string PriorLangevin = "prior_langevin";
    /// <summary><c>z [B, nz] → x [B, C, H, W]</c>.</summary>
    public const string Decoder = "decoder";
    /// <summary><c>x [B, C, H, W], z [B, nz], noise [K, B, nz], step_size [] → z_out [B, nz]</c>.</summary>
    public const string PosteriorLangevin = "posterior_langevin";
    /// <summary><c>x [B, C, H, W], z [B, nz] → score [B]</c>.</summary>
    public const string AnomalyScore = "anomaly_score";

    /// <summary>Every role, in bundle order.</summary>
    public static readonly IReadOnlyList<string> All = [PriorEnergy, PriorEnergyGrad, PriorLangevin, Decoder, PosteriorLangevin, AnomalyScore];

    /// <summary>The expected signature of <paramref name="role"/> for a model of latent size nz and image shape [C, H, W].</summary>
    /// <exception cref="ArgumentException">Unknown role.</exception>
    public static (TensorSignature[] Inputs, TensorSignature[] Outputs) Signature(string role, int nz, int[] image, int? steps)
    {
        string[] z = ["B", $"{nz}"], x = ["B", .. image.Select(d => d.ToString())], noise = [$"{steps}", "B", $"{nz}"];
        return role switch
        {
            PriorEnergy => ([new("z", z)], [new("f", ["B"])]),
            PriorEnergyGrad => ([new("z", z)], [new("f", ["B"]), new("grad_z", z)]),
            PriorLangevin => ([new("z", z), new("noise", noise), new("step_size", [])], [new("z_out", z)]),
            Decoder => ([new("z", z)], [new("x", x)]),
            PosteriorLangevin => ([new("x", x), new("z", z), new("noise", noise), new("step_size", [])], [new("z_out", z)]),
            AnomalyScore => ([new("x", x), new("z", z)], [new("score", ["B"])]),
            _ => throw new ArgumentException($"unknown bundle role '{role}'"),
        };
    }
}
