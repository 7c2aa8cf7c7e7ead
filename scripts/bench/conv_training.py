"""PyTorch side of `latent-ebm bench conv`: the same conv-generator training iteration as LatentEbm's Trainer.

Same networks (ConvTranspose generator: nz -> 8ngf 4x4 (k4 s1 p0) -> 4ngf 8x8 -> 2ngf 16x16 -> 3 32x32 (k4 s2 p1),
LeakyReLU 0.2, tanh; prior MLP nz-200-200-1 LeakyReLU 0.2), the same update rules (PAPER.md, "Learning": prior chain
K0 steps of s0 and posterior chain K1 steps of s1 from N(0, sigma0^2 I), z <- z + s^2/2 grad log p(z) + s eps; generator
loss sum |x - g(z_post)|^2 / B; prior loss mean f(z_prior) - mean f(z_post); Adam(0.5, 0.999), lr 1e-4 and 2e-5), the
same threads and the same images (float32 [N, 3, 32, 32] read from a raw file the C# side writes).
Prints one JSON line: the torch version, the BLAS library loaded, seconds per iteration and the shares of the two chains and
the updates.
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run with python3 -P: this folder is not on the path
from blas_probe import blas  # noqa: E402


def main():
    a = dict(arg.split("=", 1) for arg in sys.argv[1:])
    nz, ngf, batch = int(a["nz"]), int(a["ngf"]), int(a["batch"])
    k0, s0, k1, s1 = int(a["k0"]), float(a["s0"]), int(a["k1"]), float(a["s1"])
    sigma, sigma0 = float(a["sigma"]), float(a["sigma0"])
    threads, iterations, warmup = int(a["threads"]), int(a["iterations"]), int(a["warmup"])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    images = torch.from_numpy(np.fromfile(a["images"], dtype=np.float32).reshape(-1, 3, 32, 32))

    generator = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(ngf * 2, 3, 4, 2, 1), nn.Tanh())
    for m in generator:
        if isinstance(m, nn.ConvTranspose2d):
            nn.init.xavier_normal_(m.weight)
    prior = nn.Sequential(nn.Linear(nz, 200), nn.LeakyReLU(0.2), nn.Linear(200, 200), nn.LeakyReLU(0.2), nn.Linear(200, 1))
    opt_g = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.5, 0.999))
    opt_e = torch.optim.Adam(prior.parameters(), lr=2e-5, betas=(0.5, 0.999))

    def f(z):
        return prior(z).squeeze(-1)

    def chain(z, steps, s, log_p):
        for _ in range(steps):
            z = z.detach().requires_grad_(True)
            grad = torch.autograd.grad(log_p(z).sum(), z)[0]
            z = (z + 0.5 * s * s * grad + s * torch.randn_like(z)).detach()
        return z

    def log_prior(z):
        return f(z) - (z * z).sum(1) / (2 * sigma0 ** 2)

    timers = [0.0, 0.0, 0.0]
    total = 0.0
    for it in range(warmup + iterations):
        x = images[(it * batch) % len(images):][:batch]
        t0 = time.perf_counter()
        z_prior = chain(torch.randn(batch, nz) * sigma0, k0, s0, log_prior)
        t1 = time.perf_counter()
        z_post = chain(torch.randn(batch, nz) * sigma0, k1, s1,
                       lambda z: log_prior(z) - ((x - generator(z.view(-1, nz, 1, 1))) ** 2).flatten(1).sum(1) / (2 * sigma ** 2))
        t2 = time.perf_counter()
        opt_g.zero_grad()
        loss_g = ((generator(z_post.view(-1, nz, 1, 1)) - x) ** 2).sum() / batch
        loss_g.backward()
        opt_g.step()
        opt_e.zero_grad()
        loss_e = f(z_prior).mean() - f(z_post).mean()
        loss_e.backward()
        opt_e.step()
        float(loss_g), float(loss_e)
        t3 = time.perf_counter()
        if it >= warmup:
            timers[0] += t1 - t0
            timers[1] += t2 - t1
            timers[2] += t3 - t2
            total += t3 - t0
    print(json.dumps({"torch": torch.__version__, "blas": blas(), "seconds_per_iteration": total / iterations,
                      "prior_chain_share": timers[0] / total, "posterior_chain_share": timers[1] / total,
                      "update_share": timers[2] / total}))


if __name__ == "__main__":
    main()
