namespace LatentEbm.Inference.Text;

/// <summary>The graph roles of a text bundle and their signatures (B symbolic; T1 = T + 1 symbolic; K and L fixed per file).</summary>
public static class TextBundleRoles
{
    /// <summary><c>z [B, nz] → f [B]</c>.</summary>
    public const string PriorEnergy = "prior_energy";
    /// <summary><c>z [B, nz] → f [B], grad_z [B, nz]</c>.</summary>
    public const string PriorEnergyGrad = "prior_energy_grad";
    /// <summary><c>z [B, nz], noise [K0, B, nz], step_size [] → z_out [B, nz]</c>.</summary>
    public const string PriorLangevin = "prior_langevin";
    /// <summary><c>z [B, nz], tokens int64 [B, T1] → log_likelihood [B]</c>.</summary>
    public const string LogLikelihood = "text_log_likelihood";
    /// <summary><c>z [B, nz], tokens int64 [B, T1] → log_likelihood [B], grad_z [B, nz]</c>.</summary>
    public const string LogLikelihoodGrad = "text_log_likelihood_grad";
    /// <summary><c>z [B, nz], tokens int64 [B, T1], noise [K, B, nz] → z_out [B, nz]</c> (the step sizes are the graph's).</summary>
    public const string PosteriorLangevin = "posterior_langevin";
    /// <summary><c>z [B, nz] → tokens int64 [B, L]</c>.</summary>
    public const string GreedyDecode = "greedy_decode";
    /// <summary><c>z [B, nz], uniform [B, L], temperature [] → tokens int64 [B, L]</c>.</summary>
    public const string SampleDecode = "sample_decode";
    /// <summary><c>tokens int64 [B, T1], z [B, nz] → score [B]</c>.</summary>
    public const string AnomalyScore = "anomaly_score";

    /// <summary>Every role of a text bundle, in bundle order.</summary>
    public static readonly IReadOnlyList<string> All =
        [PriorEnergy, PriorEnergyGrad, PriorLangevin, LogLikelihood, LogLikelihoodGrad, PosteriorLangevin, GreedyDecode, SampleDecode, AnomalyScore];

    /// <summary>The expected signature of <paramref name="role"/> (<paramref name="steps"/>: K of a chain or L of a decoding, else null).</summary>
    /// <exception cref="ArgumentException">Unknown role.</exception>
    public static (TextTensorSignature[] Inputs, TextTensorSignature[] Outputs) Signature(string role, int nz, int? steps)
    {
        const string F = "float32", I = "int64";
        TextTensorSignature z = new("z", F, ["B", $"{nz}"]), tokens = new("tokens", I, ["B", "T1"]),
            noise = new("noise", F, [$"{steps}", "B", $"{nz}"]), zOut = new("z_out", F, ["B", $"{nz}"]);
        return role switch
        {
            PriorEnergy => ([z], [new("f", F, ["B"])]),
            PriorEnergyGrad => ([z], [new("f", F, ["B"]), new("grad_z", F, ["B", $"{nz}"])]),
            PriorLangevin => ([z, noise, new("step_size", F, [])], [zOut]),
            LogLikelihood => ([z, tokens], [new("log_likelihood", F, ["B"])]),
            LogLikelihoodGrad => ([z, tokens], [new("log_likelihood", F, ["B"]), new("grad_z", F, ["B", $"{nz}"])]),
            PosteriorLangevin => ([z, tokens, noise], [zOut]),
            GreedyDecode => ([z], [new("tokens", I, ["B", $"{steps}"])]),
            SampleDecode => ([z, new("uniform", F, ["B", $"{steps}"]), new("temperature", F, [])], [new("tokens", I, ["B", $"{steps}"])]),
            AnomalyScore => ([tokens, z], [new("score", F, ["B"])]),
            _ => throw new ArgumentException($"unknown text bundle role '{role}'"),
        };
    }
}
