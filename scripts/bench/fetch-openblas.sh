#!/usr/bin/env bash
# Unpacks Debian's OpenBLAS (libopenblas0-openmp) into .cache/openblas for the PyTorch side of `latent-ebm bench training`,
# without installing it: Debian's python3-torch links the system's libblas.so.3, which on a bare Debian is netlib's
# reference BLAS (about 1 GFLOP/s here), so the benchmark runs PyTorch with this folder first on LD_LIBRARY_PATH.
# apt-get download checks the package against the signed package index. A no-op when the folder is there.
set -euo pipefail
target="${1:-.cache/openblas}"
library="$target/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3"
if [[ -e "$library" ]]; then
  echo "OpenBLAS already unpacked: $library"
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
download() { (cd "$work" && apt-get download libopenblas0-openmp >/dev/null 2>&1); }
# A fresh machine's package lists may be missing or stale: refresh them once and try again.
download || { apt-get update -qq >/dev/null 2>&1 || true; download; } || {
  echo "apt-get download libopenblas0-openmp failed (as root, with Debian's package lists reachable)" >&2
  exit 1
}
mkdir -p "$target"
dpkg-deb -x "$work"/libopenblas0-openmp_*.deb "$target"
[[ -e "$library" ]] || { echo "the package did not hold $library" >&2; exit 1; }
echo "OpenBLAS unpacked: $library"
