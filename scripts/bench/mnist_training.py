"""PyTorch side of `latent-ebm bench training`: the same MNIST training iteration as LatentEbm's Trainer, eager float32.

Same networks with PyTorch's default initialisation (nn.Linear: Kaiming-uniform weights, uniform biases), as
TorchSharp's: generator MLP nz-400-800-784 (LeakyReLU 0.2, tanh out), prior MLP nz-200-200-1 (LeakyReLU 0.2), and for
encoder-started chains the encoder MLP 784-800-400-2nz (LeakyReLU 0.2; mu then log sigma^2). Same iteration, in the
Trainer's order (PAPER.md, "Learning"; "Amortised posterior"):

1. prior chain: z ~ N(0, sigma0^2 I), K0 steps of s0 on log p(z) = f(z) - |z|^2 / (2 sigma0^2);
2. posterior chain: from z ~ N(0, sigma0^2 I) and K1 steps (start=noise), or from z ~ q(z|x) and K1 = encoder_steps
   steps (start=encoder), of s1 on log p(z|x) = f(z) - |x - g(z)|^2 / (2 sigma^2) - |z|^2 / (2 sigma0^2);
   each step z <- z + (s^2 / 2) grad log p + s eps, the gradient by autograd (one graph per step), eps drawn per step;
3. the chains' end points checked finite;
4. generator update: Adam on sum |x - g(z_post)|^2 / B;
5. prior update: Adam on mean f(z_prior) - mean f(z_post);
6. encoder update (start=encoder): Adam on -mean log q(z_post | x), z_post fixed.

Adam(beta1 0.5, beta2 0.999), lr 2e-5 (prior), 1e-4 (generator, encoder). Minibatches of B images drawn without
replacement from the images the C# side writes as raw float32 [N, 1, 28, 28] in [-1, 1]. Timed after `warmup` untimed
iterations, with torch.set_num_threads(threads) (and one inter-op thread). Prints one JSON line:
{"torch": version, "blas": the BLAS library loaded, "threads": n, "results": [{"start", "seconds_per_iteration", "prior_chain_share",
"posterior_chain_share", "update_share"}, ...]}, one result per start in `starts` (default noise,encoder).

Usage: python3 -P mnist_training.py images=FILE [nz=16 batch=100 k0=60 s0=0.4 k1=20 s1=0.1 encoder_steps=10
sigma=0.3 sigma0=1 threads=1 iterations=20 warmup=3 starts=noise,encoder seed=1 prior_hidden=200
generator_hidden=400,800 encoder_hidden=800,400]
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run with python3 -P: this folder is not on the path
from blas_probe import blas  # noqa: E402


def mlp(widths, out_activation):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(nn.LeakyReLU(0.2))
    if out_activation is not None:
        layers.append(out_activation)
    return nn.Sequential(*layers)


def run(start, a, images, threads):
    nz, batch = int(a.get("nz", 16)), int(a.get("batch", 100))
    k0, s0 = int(a.get("k0", 60)), float(a.get("s0", 0.4))
    k1, s1 = int(a.get("k1", 20)), float(a.get("s1", 0.1))
    encoder_steps = int(a.get("encoder_steps", 10))
    sigma, sigma0 = float(a.get("sigma", 0.3)), float(a.get("sigma0", 1.0))
    iterations, warmup = int(a.get("iterations", 20)), int(a.get("warmup", 3))
    torch.manual_seed(int(a.get("seed", 1)))
    pixels = images.shape[1] * images.shape[2] * images.shape[3]

    prior_hidden = int(a.get("prior_hidden", 200))
    generator_hidden = [int(h) for h in a.get("generator_hidden", "400,800").split(",")]
    encoder_hidden = [int(h) for h in a.get("encoder_hidden", "800,400").split(",")]
    prior = mlp([nz, prior_hidden, prior_hidden, 1], None)
    generator = mlp([nz, *generator_hidden, pixels], nn.Tanh())
    encoder = mlp([pixels, *encoder_hidden, 2 * nz], None) if start == "encoder" else None
    opt_e = torch.optim.Adam(prior.parameters(), lr=2e-5, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.5, 0.999))
    opt_q = torch.optim.Adam(encoder.parameters(), lr=1e-4, betas=(0.5, 0.999)) if encoder is not None else None
    rng = torch.Generator().manual_seed(int(a.get("seed", 1)))

    def f(z):
        return prior(z).squeeze(-1)

    def g(z):
        return generator(z).view(-1, *images.shape[1:])

    def chain(z, steps, s, log_density):
        drift = 0.5 * s * s
        for _ in range(steps):
            zz = z.detach().requires_grad_(True)
            grad = torch.autograd.grad(log_density(zz), zz)[0] - zz.detach() / (sigma0 * sigma0)
            z = (z + drift * grad + s * torch.randn(z.shape, generator=rng)).detach()
        return z

    def gaussian(x):
        mean, log_var = encoder(x.flatten(1)).split([nz, nz], 1)
        return mean, log_var

    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(7))
    timers = [0.0, 0.0, 0.0]
    total = 0.0
    for it in range(warmup + iterations):
        start_time = time.perf_counter()
        index = order[(it * batch) % (len(images) - batch + 1):][:batch]
        x = images.index_select(0, index)
        t0 = time.perf_counter()
        z_prior = chain(torch.randn(batch, nz, generator=rng) * sigma0, k0, s0, lambda z: f(z).sum())
        t1 = time.perf_counter()

        def log_posterior(z):
            return f(z).sum() - (x - g(z)).square().sum() / (2 * sigma * sigma)

        if encoder is None:
            z_post = chain(torch.randn(batch, nz, generator=rng) * sigma0, k1, s1, log_posterior)
        else:
            with torch.no_grad():
                mean, log_var = gaussian(x)
                z0 = mean + (log_var * 0.5).exp() * torch.randn(batch, nz, generator=rng)
            z_post = chain(z0, encoder_steps, s1, log_posterior)
        t2 = time.perf_counter()
        if not (bool(torch.isfinite(z_prior).all()) and bool(torch.isfinite(z_post).all())):
            raise RuntimeError("diverged")

        opt_g.zero_grad()
        loss_g = (g(z_post) - x).square().sum() / batch
        loss_g.backward()
        float(loss_g)
        opt_g.step()
        opt_e.zero_grad()
        f_post = f(z_post).mean()
        f_prior = f(z_prior).mean()
        loss_e = f_prior - f_post
        loss_e.backward()
        float(loss_e), float(f_post), float(f_prior)
        opt_e.step()
        if encoder is not None:
            opt_q.zero_grad()
            mean, log_var = gaussian(x)
            log_q = ((z_post - mean).square() * (-log_var).exp() + log_var + math.log(2 * math.pi)).sum(1) * -0.5
            loss_q = -log_q.mean()
            loss_q.backward()
            float(loss_q)
            opt_q.step()
        t3 = time.perf_counter()
        if it >= warmup:
            timers[0] += t1 - t0
            timers[1] += t2 - t1
            timers[2] += t3 - t2
            total += t3 - start_time
    return {"start": start, "seconds_per_iteration": total / iterations, "prior_chain_share": timers[0] / total,
            "posterior_chain_share": timers[1] / total, "update_share": timers[2] / total}


def main():
    a = dict(arg.split("=", 1) for arg in sys.argv[1:])
    threads = int(a.get("threads", 1))
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    images = torch.from_numpy(np.fromfile(a["images"], dtype=np.float32).reshape(-1, 1, 28, 28))
    results = [run(start, a, images, threads) for start in a.get("starts", "noise,encoder").split(",")]
    print(json.dumps({"torch": torch.__version__, "blas": blas(), "threads": threads, "results": results}))


if __name__ == "__main__":
    main()
