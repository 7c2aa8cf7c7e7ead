using System.Diagnostics;
using LatentEbm.Data.Datasets;
using LatentEbm.Training.Configuration;
using LatentEbm.Training.Model;
using LatentEbm.Training.Runtime;
using LatentEbm.Training.Sampling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LatentEbm.Training.Training;

/// <summary>
/// Short-run MCMC maximum-likelihood learning of the prior and the generator (PAPER.md, "Learning").
/// Each iteration, for a minibatch x: a prior chain (K0 steps, s0) and a posterior chain (K1 steps,
/// s1), both from z ~ N(0, sigma0^2 I); then the generator update on sum |x - g(z_post)|^2 / B and the
/// prior update on mean E(z_post) - mean E(z_prior), E = -f, each with Adam(beta1, beta2); learning
/// rates decay by a constant factor per epoch. With <see cref="TrainingConfig.PosteriorStart"/> <c>encoder</c>, the posterior
/// chain starts from z ~ q(z|x) instead and runs <see cref="TrainingConfig.EncoderPosteriorSteps"/> steps, and the encoder is
/// then fitted to the chain's end points by maximising log q(z_K|x) with z_K fixed (PAPER.md, "Amortised posterior": the
/// dual-MCMC recipe); the generator and prior updates are unchanged. <see cref="TrainingConfig.ChainEngine"/> chooses what runs
/// both chains: TorchSharp eager, or ONNX Runtime graphs over the live parameters (<see cref="OnnxRuntimeChains"/>, built once
/// here); the algorithm, the order of the noise draws and everything else are the same.
/// </summary>
/// <remarks>
/// All randomness (initialisation, minibatch order, chain noise) comes from <see cref="TrainingConfig.Seed"/>;
/// with its state restored by <see cref="Checkpoints.CheckpointStore"/>, a resumed run continues bit for bit.
/// </remarks>
public sealed class Trainer : IDisposable
{
    private readonly Tensor images;
    private readonly GaussianNoise noise;
    private readonly ScalarType? chainMatmulType;
    private readonly OnnxRuntimeChains? onnxChains;

    /// <summary>Builds the networks, optimisers and noise source for <paramref name="config"/> and moves the training images to the device.</summary>
    /// <param name="config">Validated settings.</param>
    /// <param name="train">Training images <c>[N, C, H, W]</c> in [-1, 1], of the configuration's observation shape; N ≥ batch size.</param>
    /// <exception cref="ArgumentException">Too few images for one batch, images of another shape than <see cref="TrainingConfig.Observation"/>, or a bad setting.</exception>
    public Trainer(TrainingConfig config, LabeledImages train)
    {
        config.Validate();
        ConvolutionSelfCheck.EnsurePasses(); // no learning from wrong float32 gradients (issue 10)
        if (!train.Observation.Equals(config.Observation))
            throw new ArgumentException($"the training images are {train.Observation.ShapeText}, but the configuration's observation is {config.Observation.ShapeText}");
        if (train.Count < config.BatchSize)
            throw new ArgumentException($"{train.Count} training images are fewer than one batch of {config.BatchSize}");
        Config = config;
        Device = new Device(config.Device);
        torch.manual_seed(config.Seed);
        (Prior, Generator, Model) = ModelFactory.Create(config, Device);
        chainMatmulType = config.ChainPrecision == ChainPrecision.Bfloat16 ? bfloat16 : null;
        if (GaussianPrior)
            using (no_grad())
            {
                // f = 0 exactly: the output layer is zero and never updated, so ∇f = 0 too.
                Prior.Linears[^1].weight!.zero_();
                Prior.Linears[^1].bias!.zero_();
            }
        PriorOptimizer = optim.Adam(Prior.parameters(), config.PriorLearningRate, config.Beta1, config.Beta2);
        GeneratorOptimizer = optim.Adam(Generator.parameters(), config.GeneratorLearningRate, config.Beta1, config.Beta2);
        EncoderOptimizer = Encoder is null ? null : optim.Adam(Encoder.parameters(), config.EncoderLearningRate, config.Beta1, config.Beta2);
        Rng = new torch.Generator((ulong)config.Seed, Device);
        noise = new GaussianNoise(Rng);
        images = tensor(train.Pixels, [train.Count, train.Channels, train.Height, train.Width]).to(Device);
        if (config.ChainEngine == ChainEngine.OnnxRuntime) onnxChains = new OnnxRuntimeChains(Model, torch.get_num_threads());
    }

    /// <summary>The settings.</summary>
    public TrainingConfig Config { get; }

    /// <summary>Whether the prior is the plain Gaussian N(0, sigma0^2 I) (f = 0; <see cref="TrainingConfig.Prior"/>).</summary>
    public bool GaussianPrior => Config.GaussianPrior;

    /// <summary>The torch device.</summary>
    public Device Device { get; }

    /// <summary>f_alpha.</summary>
    public PriorEnergyMlp Prior { get; }

    /// <summary>g_theta (<see cref="TrainingConfig.Generator"/>).</summary>
    public nn.Module<Tensor, Tensor> Generator { get; }

    /// <summary>Prior and generator with sigma, sigma0.</summary>
    public LatentEbmModel Model { get; }

    /// <summary>q(z|x), or null when the posterior chains start from noise (<see cref="TrainingConfig.PosteriorStart"/>).</summary>
    public Encoder? Encoder => Model.Encoder;

    /// <summary>Adam of the encoder, or null without one.</summary>
    public Adam? EncoderOptimizer { get; }

    /// <summary>Adam of the prior.</summary>
    public Adam PriorOptimizer { get; }

    /// <summary>Adam of the generator.</summary>
    public Adam GeneratorOptimizer { get; }

    /// <summary>The generator of all chain noise (its state is checkpointed).</summary>
    public torch.Generator Rng { get; }

    /// <summary>Epochs finished so far.</summary>
    public int EpochsCompleted { get; set; }

    /// <summary>Iterations per epoch: N / batch size (the last partial batch is dropped).</summary>
    public int IterationsPerEpoch => (int)(images.shape[0] / Config.BatchSize);

    /// <summary>Runs one epoch (number <see cref="EpochsCompleted"/> + 1) and returns its averages.</summary>
    /// <param name="onIteration">Called after every iteration (progress display).</param>
    /// <param name="cancellation">Stops between iterations; the epoch is then abandoned.</param>
    /// <exception cref="TrainingDivergedException">A loss, mean energy or chain state was NaN or infinite, or a loss or mean energy beyond ±<see cref="TrainingDivergedException.Bound"/>.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public EpochMetrics RunEpoch(Action<IterationStats>? onIteration = null, CancellationToken cancellation = default)
    {
        int epoch = EpochsCompleted + 1;
        double decay = Math.Pow(Config.LearningRateDecay, EpochsCompleted);
        SetLearningRate(PriorOptimizer, Config.PriorLearningRate * decay);
        SetLearningRate(GeneratorOptimizer, Config.GeneratorLearningRate * decay);
        if (EncoderOptimizer is not null) SetLearningRate(EncoderOptimizer, Config.EncoderLearningRate * decay);
        Prior.train();
        Generator.train();
        Encoder?.train();

        int[] order = [.. Enumerable.Range(0, (int)images.shape[0])];
        AnomalySplit.Shuffle(order, new Random(unchecked(Config.Seed * 7919 + epoch)));
        int perEpoch = IterationsPerEpoch;
        var sums = new double[6];
        var timers = new Stopwatch[] { new(), new(), new() };
        var wall = Stopwatch.StartNew();
        for (int i = 0; i < perEpoch; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            using var index = tensor(order.AsSpan(i * Config.BatchSize, Config.BatchSize).ToArray(), dtype: int64, device: Device);
            var x = images.index_select(0, index);
            long iteration = (long)EpochsCompleted * perEpoch + i + 1;
            var stats = Step(x, epoch, iteration, i + 1, timers);
            sums[0] += stats.FPosterior; sums[1] += stats.FPrior; sums[2] += stats.ReconstructionMse;
            sums[3] += stats.GeneratorLoss; sums[4] += stats.PriorLoss; sums[5] += stats.EncoderNll;
            onIteration?.Invoke(stats);
        }
        EpochsCompleted = epoch;
        return new EpochMetrics(epoch, perEpoch, sums[0] / perEpoch, sums[1] / perEpoch, sums[2] / perEpoch,
            sums[3] / perEpoch, sums[4] / perEpoch, Config.PriorLearningRate * decay, Config.GeneratorLearningRate * decay,
            wall.Elapsed.TotalSeconds, timers[0].Elapsed.TotalSeconds, timers[1].Elapsed.TotalSeconds, timers[2].Elapsed.TotalSeconds,
            Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0), sums[5] / perEpoch);
    }

    /// <summary>One learning iteration on minibatch <paramref name="x"/> <c>[B, C, H, W]</c>.</summary>
    private IterationStats Step(Tensor x, int epoch, long iteration, int inEpoch, Stopwatch[] timers)
    {
        long batch = x.shape[0];
        timers[0].Start();
        // With a Gaussian prior there is no prior chain to run: p(z) is N(0, sigma0^2 I) itself.
        var zPrior = GaussianPrior ? null : PriorChain(NoiseStart(batch));
        timers[0].Stop();
        timers[1].Start();
        var zPosterior = Encoder is null
            ? PosteriorChain(x, NoiseStart(batch), Config.PosteriorSteps)
            : PosteriorChain(x, Encoder.Sample(x, randn([batch, Config.Nz], device: Device, generator: Rng)), Config.EncoderPosteriorSteps);
        timers[1].Stop();
        if (zPrior is not null) EnsureFinite(zPrior, "prior chain state z", epoch, iteration);
        EnsureFinite(zPosterior, "posterior chain state z", epoch, iteration);

        timers[2].Start();
        GeneratorOptimizer.zero_grad();
        var sumSquares = (Generator.forward(zPosterior) - x).square().sum();
        var generatorLoss = sumSquares / batch;
        generatorLoss.backward();
        double lossG = generatorLoss.item<float>();
        EnsureSane(lossG, "generator loss", epoch, iteration);
        GeneratorOptimizer.step();

        double lossE = 0, fPos = 0, fPri = 0;
        if (zPrior is not null)
        {
            PriorOptimizer.zero_grad();
            var fPosterior = Prior.forward(zPosterior).mean();
            var fPrior = Prior.forward(zPrior).mean();
            var priorLoss = fPrior - fPosterior; // mean E(z_post) - mean E(z_prior) with E = -f
            priorLoss.backward();
            (lossE, fPos, fPri) = (priorLoss.item<float>(), fPosterior.item<float>(), fPrior.item<float>());
            EnsureSane(fPos, "mean f on posterior samples", epoch, iteration);
            EnsureSane(fPri, "mean f on prior samples", epoch, iteration);
            EnsureSane(lossE, "prior loss", epoch, iteration);
            PriorOptimizer.step();
        }

        double encoderNll = 0;
        if (Encoder is not null)
        {
            // Fit q(z|x) to where the chains it started ended: maximise log q(z_K|x), z_K fixed.
            EncoderOptimizer!.zero_grad();
            var encoderLoss = -Encoder.LogDensity(x, zPosterior).mean();
            encoderLoss.backward();
            encoderNll = encoderLoss.item<float>();
            EnsureSane(encoderNll, "encoder loss -log q(z_K|x)", epoch, iteration);
            EncoderOptimizer.step();
        }
        timers[2].Stop();

        double mse = lossG / (x.numel() / batch);
        return new IterationStats(epoch, iteration, inEpoch, IterationsPerEpoch, fPos, fPri, mse, lossG, lossE, encoderNll);
    }

    /// <summary>Draws latents from the learned prior (<see cref="PriorSampler.Sample"/>).</summary>
    /// <param name="count">Number of samples.</param>
    /// <param name="rng">Generator of the starts and the chain noise.</param>
    /// <returns>z <c>[count, nz]</c> on the trainer's device.</returns>
    public Tensor SamplePrior(long count, torch.Generator rng) => PriorSampler.Sample(Model, Config, count, rng, Device);

    /// <summary>
    /// The training prior chain from <paramref name="z0"/> (K0 steps of s0) on the configured engine. Either engine draws the
    /// chain's noise from <see cref="Rng"/> right after the start, step by step (torch) or as one <c>[K0, B, nz]</c> tensor (ONNX Runtime).
    /// </summary>
    private Tensor PriorChain(Tensor z0)
    {
        if (onnxChains is null) return LangevinSampler.PriorChain(Model, z0, Config.PriorSteps, Config.PriorStepSize, noise);
        using var eps = randn([Config.PriorSteps, z0.shape[0], Config.Nz], device: Device, generator: Rng);
        return onnxChains.PriorChain(z0, eps, Config.PriorStepSize);
    }

    /// <summary>The training posterior chain on <paramref name="x"/> from <paramref name="z0"/> (<paramref name="steps"/> steps of s1) on the configured engine.</summary>
    private Tensor PosteriorChain(Tensor x, Tensor z0, int steps)
    {
        // bfloat16 products (ChainPrecision) only in the training posterior chain; scoring, calibration
        // and export run the exact chain.
        if (onnxChains is null) return LangevinSampler.PosteriorChain(Model, x, z0, steps, Config.PosteriorStepSize, noise, chainMatmulType);
        using var eps = randn([steps, z0.shape[0], Config.Nz], device: Device, generator: Rng);
        return onnxChains.PosteriorChain(x, z0, eps, Config.PosteriorStepSize);
    }

    /// <summary>z ~ N(0, sigma0^2 I) <c>[B, nz]</c> from the training noise generator.</summary>
    private Tensor NoiseStart(long batch) =>
        randn([batch, Config.Nz], device: Device, generator: Rng) * Config.Sigma0;

    private static void EnsureFinite(Tensor t, string quantity, int epoch, long iteration)
    {
        if (!isfinite(t).all().item<bool>()) throw new TrainingDivergedException(quantity, epoch, iteration);
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and within ±<see cref="TrainingDivergedException.Bound"/>.</summary>
    private static void EnsureSane(double value, string quantity, int epoch, long iteration)
    {
        if (!double.IsFinite(value)) throw new TrainingDivergedException(quantity, epoch, iteration);
        if (Math.Abs(value) > TrainingDivergedException.Bound) throw new TrainingDivergedException(quantity, value, epoch, iteration);
    }

    private static void SetLearningRate(Adam optimizer, double lr)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        onnxChains?.Dispose();
        images.Dispose();
        PriorOptimizer.Dispose();
        GeneratorOptimizer.Dispose();
        EncoderOptimizer?.Dispose();
        Prior.Dispose();
        Generator.Dispose();
        Encoder?.Dispose();
        Rng.Dispose();
    }
}
