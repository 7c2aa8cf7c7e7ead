#!/usr/bin/env bash
# make cifar10: the CIFAR-10 job of issue 11. Trains the paper's ConvTranspose generator with the latent EBM
# prior and, as the baseline, the same generator with the Gaussian prior (f = 0) under the same budget
# (both at once, THREADS torch threads each), on the 50,000 CIFAR-10 training images (the JPEG copy in
# ../shared/data, which `make data` unpacks); exports the EBM model as a verified bundle (BUNDLE); trains the
# feature classifier if it is missing; measures both runs' samples and reconstructions on the 10,000 test
# images; and writes reports/cifar10.md and reports/cifar10.json. Re-running skips finished work; a killed run resumes.
# Settings are fixed here in advance (EPOCHS, NGF, NZ), never chosen by test numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
LEBM="${LATENT_EBM_CLI:-./latent-ebm}"
EPOCHS="${EPOCHS:-2}" NGF="${NGF:-16}" NZ="${NZ:-128}" THREADS="${THREADS:-1}" SEED="${SEED:-1}"
RUNS="${RUNS:-runs}" BUNDLE="${BUNDLE:-models/cifar10-conv}" CLASSIFIER="${CLASSIFIER:-models/cifar10-classifier}"
make data >/dev/null
[ -n "${LATENT_EBM_CLI:-}" ] || dotnet build cli/LatentEbm.Cli.csproj -c Release -nologo -v quiet -clp:ErrorsOnly
mkdir -p "$RUNS"
start=$(date +%s)
train() {
  local prior=$1 run="$RUNS/cifar10-$1"
  if [ -f "$run/config.json" ]; then
    $LEBM train --resume --out "$run" --epochs "$EPOCHS" --threads "$THREADS"
  else
    $LEBM train --dataset cifar-10 --generator conv --ngf "$NGF" --nz "$NZ" --prior "$prior" --epochs "$EPOCHS" \
      --seed "$SEED" --threads "$THREADS" --out "$run"
  fi
}
train ebm > "$RUNS/cifar10-ebm.log" 2>&1 & ebm=$!
train gaussian > "$RUNS/cifar10-gaussian.log" 2>&1 & gaussian=$!
wait $ebm || { echo "EBM training failed: see $RUNS/cifar10-ebm.log" >&2; exit 1; }
wait $gaussian || { echo "Gaussian training failed: see $RUNS/cifar10-gaussian.log" >&2; exit 1; }
trained=$(( $(date +%s) - start ))

$LEBM export --run "$RUNS/cifar10-ebm" --out "$BUNDLE"
[ -f "$CLASSIFIER/classifier.onnx" ] || $LEBM classifier train --dataset cifar-10 --out "$CLASSIFIER" --threads "$(nproc)"
for prior in ebm gaussian; do
  $LEBM evaluate samples --run "$RUNS/cifar10-$prior" --classifier "$CLASSIFIER" --threads "$(nproc)"
done
total=$(( $(date +%s) - start ))
$LEBM report cifar10 --runs "$RUNS/cifar10-ebm" "$RUNS/cifar10-gaussian" --bundle "$BUNDLE" --classifier "$CLASSIFIER" --out reports \
  --budget "$(nproc)-core CPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), no GPU; both runs at once with $THREADS torch thread(s) each. Wall time of the last invocation of \`make cifar10\` ($(date -u +%Y-%m-%d)): $trained s for the training it had to do (finished epochs are skipped), $total s in all."
