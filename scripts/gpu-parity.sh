#!/usr/bin/env bash
# The prepared GPU check (run it whenever a CUDA machine is available): CPU against CUDA parity of
# the default bundle (TF32 off, same seeds) and timings. Needs the .NET 10 SDK, MNIST (make data)
# and the CUDA 13 libraries that Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31 loads. Writes the table to
# docs/benchmarks.md (section "providers") and, when $OUT is set, a copy there.
set -euo pipefail
cd "$(dirname "$0")/.."
make data >/dev/null
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
./latent-ebm bench providers --bundle models/mnist-digit4 --report docs/benchmarks.md
if [ -n "${OUT:-}" ]; then cp docs/benchmarks.md "$OUT/benchmarks.md"; fi
