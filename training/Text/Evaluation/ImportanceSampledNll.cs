using LatentEbm.Training.Model;
using LatentEbm.Training.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace LatentEbm.Training.Text.Evaluation;

/// <summary>
/// NLL and perplexity of sentences under the text latent EBM by importance sampling (PAPER.md, "Text model", metrics):
/// log p(x) ≈ log (1/N) Σ_i p_theta(x|z_i) p_alpha(z_i) / q(z_i|x), z_i ~ q, with
/// log p_alpha(z) = f_alpha(z) - |z|² / (2 sigma0²) - (nz / 2) log(2 pi sigma0²) - log Z(alpha) and
/// log Z(alpha) ≈ log (1/M) Σ_j exp f_alpha(z_j), z_j ~ N(0, sigma0² I), estimated once for all sentences. The proposal
/// q = N(mu, tau² I) is centred at the end point of a posterior Langevin chain from z ~ N(0, sigma0² I)
/// (<see cref="ImportanceSamplingSettings.PosteriorStepSizes"/>); with C ≥ 2 chains per sentence
/// (<see cref="ImportanceSamplingSettings.ProposalChains"/>) it is N(mu, diag(spread² + tau²)), mu the mean and spread the
/// standard deviation of their end points. For the Gaussian-prior model (f ≡ 0) log Z = 0 exactly and nothing is
/// estimated. Log-weights and log-sum-exps are accumulated in float64 whatever the model's dtype; the decoder runs in
/// evaluation mode (its mode is restored). Given mu, the estimate of p(x) is unbiased, so that of log p(x) is biased low
/// (Jensen), less so as N grows. Deterministic given the settings (seed, batch size) and one torch thread.
/// </summary>
public static class ImportanceSampledNll
{
    /// <summary>Estimates -log p(x) of every sentence.</summary>
    /// <param name="model">The text latent EBM (or its Gaussian-prior baseline).</param>
    /// <param name="sentences">Word ids of each sentence (no <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c> or <c>&lt;pad&gt;</c>); the results are in this order.</param>
    /// <param name="settings">N, tau, M, the chain, batch sizes and seed.</param>
    /// <exception cref="ArgumentException">A bad setting, no sentence, or an id that is no word of the decoder's vocabulary.</exception>
    /// <param name="onSentences">Told the number of sentences done after each batch (it may throw to stop).</param>
    /// <exception cref="InvalidOperationException">A log-weight is not finite (NaN or +∞ in the model).</exception>
    public static ImportanceSampledNllResult Evaluate(TextLatentEbm model, IReadOnlyList<int[]> sentences, ImportanceSamplingSettings settings, Action<int>? onSentences = null) =>
        Evaluate(model, sentences, settings, new DiagonalGaussianProposal(), onSentences);

    /// <summary>The same with a given proposal (tests swap in wrong densities).</summary>
    internal static ImportanceSampledNllResult Evaluate(TextLatentEbm model, IReadOnlyList<int[]> sentences, ImportanceSamplingSettings settings, IImportanceProposal proposal, Action<int>? onSentences = null)
    {
        settings.Validate();
        ScoredSentences.Check(sentences, model.Decoder.VocabularySize, nameof(sentences));
        var device = model.Decoder.parameters().First().device;
        using var rng = new torch.Generator((ulong)settings.Seed, device);
        bool gaussian = IsZero(model.Prior);
        var logZ = gaussian ? new LogPartitionEstimate(0, 0, 0) : EstimateLogPartition(model, settings.LogPartitionSamples, rng);
        var noise = settings.PosteriorNoise ? new GaussianNoise(rng) : null;
        var nll = new double[sentences.Count];
        double essSum = 0;
        int[] order = ScoredSentences.ByLength(sentences);
        bool wasTraining = model.Decoder.training;
        model.Decoder.eval();
        try
        {
            for (int start = 0; start < order.Length; start += settings.BatchSize)
            {
                using var scope = NewDisposeScope();
                var indices = order.AsSpan(start, Math.Min(settings.BatchSize, order.Length - start));
                var tokens = ScoredSentences.Tokens(sentences, indices).to(device);
                var (logPx, ess) = LogLikelihood(model, tokens, settings, proposal, logZ.Value, gaussian, rng, noise);
                for (int b = 0; b < indices.Length; b++) nll[indices[b]] = -logPx[b];
                essSum += ess.Sum();
                onSentences?.Invoke(start + indices.Length);
            }
        }
        finally
        {
            model.Decoder.train(wasTraining);
        }
        string chain = $"{settings.PosteriorStepSizes.Length} steps, noise {(settings.PosteriorNoise ? "on" : "off")}";
        string description = settings.ProposalChains == 1
            ? FormattableString.Invariant($"N(mu, {settings.ProposalStd}^2 I), mu = end of a posterior Langevin chain from N(0, sigma0^2 I) ({chain})")
            : FormattableString.Invariant($"N(mu, diag(spread^2 + {settings.ProposalStd}^2)), mu and spread = mean and standard deviation of the ends of {settings.ProposalChains} posterior Langevin chains from N(0, sigma0^2 I) ({chain})");
        return new ImportanceSampledNllResult(new SentenceNll(nll, [.. sentences.Select(ScoredSentences.TokenCount)]), settings, description, logZ, gaussian, essSum / sentences.Count);
    }

    /// <summary>
    /// log Z(alpha) ≈ log (1/M) Σ_j exp f_alpha(z_j), z_j ~ N(0, sigma0² I) drawn from <paramref name="rng"/>, by log-sum-exp in float64.
    /// </summary>
    /// <param name="model">The model whose prior is normalised.</param>
    /// <param name="samples">M ≥ 1.</param>
    /// <param name="rng">The generator of the draws (on the model's device).</param>
    /// <param name="rowsPerForward">Draws per prior forward pass (the draws depend on it).</param>
    /// <exception cref="ArgumentOutOfRangeException">M or the chunk size below 1.</exception>
    /// <exception cref="InvalidOperationException">f is not finite at a draw.</exception>
    public static LogPartitionEstimate EstimateLogPartition(TextLatentEbm model, int samples, torch.Generator rng, int rowsPerForward = 16_384)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerForward, 1);
        var parameter = model.Prior.parameters().First();
        var f = new double[samples];
        using (no_grad())
            for (int start = 0; start < samples; start += rowsPerForward)
            {
                using var scope = NewDisposeScope();
                int count = Math.Min(rowsPerForward, samples - start);
                var z = randn([count, model.Nz], dtype: parameter.dtype, device: parameter.device, generator: rng) * model.Sigma0;
                model.Prior.forward(z).to(float64).cpu().data<double>().CopyTo(f.AsSpan(start, count));
            }
        double max = f.Max();
        if (!double.IsFinite(max) || f.Any(double.IsNaN)) throw new InvalidOperationException($"f_alpha is not finite at a reference-prior draw (max {max})");
        double mean = f.Sum(v => Math.Exp(v - max)) / samples;
        double variance = f.Sum(v => Math.Pow(Math.Exp(v - max) - mean, 2)) / samples;
        return new LogPartitionEstimate(max + Math.Log(mean), Math.Sqrt(variance / samples) / mean, samples);
    }

    /// <summary>log p(x) <c>[B]</c> of one batch and each sentence's effective sample fraction.</summary>
    private static (double[] LogPx, double[] Ess) LogLikelihood(TextLatentEbm model, Tensor tokens, ImportanceSamplingSettings settings,
        IImportanceProposal proposal, double logZ, bool gaussian, torch.Generator rng, INoiseSource? noise)
    {
        long batch = tokens.shape[0], width = tokens.shape[1];
        int n = settings.Samples, nz = model.Nz;
        var (mu, std) = PlaceProposal(model, tokens, settings, rng, noise);
        var draws = proposal.Sample(mu, std, n, rng);                                             // [N, B, nz]
        var logWeights = -proposal.LogDensity(draws.to(float64), mu.to(float64), std.to(float64)); // [N, B], float64
        double sigma0 = model.Sigma0;
        double logNormaliser = 0.5 * nz * Math.Log(2 * Math.PI * sigma0 * sigma0);
        int chunk = (int)Math.Max(1, settings.RowsPerForward / batch);
        using (no_grad())
            for (int s = 0; s < n; s += chunk)
            {
                using var scope = NewDisposeScope();
                int count = Math.Min(chunk, n - s);
                var z = draws.narrow(0, s, count).reshape(count * batch, nz);
                var rows = tokens.unsqueeze(0).expand(count, batch, width).reshape(count * batch, width);
                var logJoint = model.Decoder.LogLikelihood(z, rows).to(float64)
                    - z.to(float64).square().sum(1) / (2 * sigma0 * sigma0) - logNormaliser - logZ;
                if (!gaussian) logJoint += model.Prior.forward(z).to(float64);
                logWeights.narrow(0, s, count).add_(logJoint.view(count, batch));
            }
        if (!logWeights.isfinite().all().ToBoolean())
            throw new InvalidOperationException("an importance log-weight is not finite: the model gives NaN or infinity");
        var lse = logWeights.logsumexp(0);                                             // [B]
        var logPx = (lse - Math.Log(n)).cpu().data<double>().ToArray();
        var ess = ((2 * lse - (2 * logWeights).logsumexp(0)).exp() / n).cpu().data<double>().ToArray();
        return (logPx, ess);
    }

    /// <summary>
    /// The proposal's centre and widths <c>[B, nz]</c>: C posterior chains per sentence from z ~ N(0, sigma0² I); one chain
    /// gives its end point and tau; C ≥ 2 give the ends' mean and sqrt(spread² + tau²).
    /// </summary>
    private static (Tensor Mu, Tensor Std) PlaceProposal(TextLatentEbm model, Tensor tokens, ImportanceSamplingSettings settings, torch.Generator rng, INoiseSource? noise)
    {
        long batch = tokens.shape[0];
        int chains = settings.ProposalChains;
        var dtype = model.Decoder.parameters().First().dtype;
        var rows = chains == 1 ? tokens : tokens.repeat(chains, 1);                 // row c B + b is sentence b
        var z0 = randn([chains * batch, model.Nz], dtype: dtype, device: tokens.device, generator: rng) * model.Sigma0;
        var ends = LangevinSampler.Run(z0, settings.PosteriorStepSizes, noise, z => model.GradLogPosterior(z, rows));
        if (chains == 1) return (ends, full_like(ends, settings.ProposalStd));
        var perChain = ends.view(chains, batch, model.Nz);
        var spread = perChain.var(0, unbiased: false);
        return (perChain.mean([0]), (spread + settings.ProposalStd * settings.ProposalStd).sqrt());
    }

    /// <summary>Whether f ≡ 0: the prior's output layer has zero weights and bias (the Gaussian-prior baseline).</summary>
    private static bool IsZero(PriorEnergyMlp prior)
    {
        var last = prior.Linears[^1];
        using var noGrad = no_grad();
        return last.weight!.abs().max().ToDouble() == 0 && last.bias!.abs().max().ToDouble() == 0;
    }
}
