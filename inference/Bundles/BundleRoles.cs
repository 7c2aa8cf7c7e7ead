namespace LatentEbm.Inference.Bundles;

/// <summary>
/// The graph roles of a bundle and their signatures (float32; B symbolic; K fixed per file). Every bundle has the
/// <see cref="Required"/> roles; a bundle whose model has an amortised posterior (manifest <c>model.posterior_start</c>
/// <c>encoder</c>, schema 3) also has the <see cref="Amortised"/> ones.
/// </summary>
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
    /// <summary>
    /// <c>x [B, C, H, W] → mu [B, nz], log_var [B, nz]</c>: the encoder of q(z|x) = N(mu, diag exp(log_var)) (PAPER.md,
    /// "Amortised posterior"); only in bundles of models with an encoder.
    /// </summary>
    public const string Encoder = "encoder";
    /// <summary>
    /// <c>x [B, C, H, W], noise [K, B, nz], step_size [] → z_out [B, nz]</c>: K posterior Langevin steps from the encoder's
    /// mean mu(x), K = the manifest's <c>score.encoder_steps</c> (0 allowed: z_out = mu); only in bundles of models with an encoder.
    /// </summary>
    public const string AmortisedPosterior = "amortised_posterior";

    /// <summary>The roles every bundle has, in bundle order.</summary>
    public static readonly IReadOnlyList<string> Required = [PriorEnergy, PriorEnergyGrad, PriorLangevin, Decoder, PosteriorLangevin, AnomalyScore];

    /// <summary>The roles a bundle has when its model has an encoder (both or neither), in bundle order.</summary>
    public static readonly IReadOnlyList<string> Amortised = [Encoder, AmortisedPosterior];

    /// <summary>Every role this build knows, in bundle order.</summary>
    public static readonly IReadOnlyList<string> All = [.. Required, .. Amortised];

    /// <summary>The expected signature of <paramref name="role"/> for a model of latent size nz and image shape [C, H, W] (<paramref name="steps"/>: K of a Langevin file, else null).</summary>
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
            Encoder => ([new("x", x)], [new("mu", z), new("log_var", z)]),
            AmortisedPosterior => ([new("x", x), new("noise", noise), new("step_size", [])], [new("z_out", z)]),
            _ => throw new ArgumentException($"unknown bundle role '{role}'"),
        };
    }
}
