#!/usr/bin/env bash
# make paper-table: PAPER.md's MNIST anomaly table, measured. Trains one model per held-out digit
# (DIGITS: 1 4 5 7 9) and seed (SEEDS: 1 2 3) and the Gaussian-prior baseline (GAUSSIAN_DIGITS, seed 1),
# EPOCHS epochs each; exports and evaluates each through the
# ML.NET job (scripts/paper-job.sh), JOBS at a time with THREADS torch threads each; then the
# sample-quality study (seed-1 EBM and Gaussian runs of GAUSSIAN_DIGITS) and the report: reports/paper-table.md and
# reports/paper-table.json. Re-running skips finished work; a killed run resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
LEBM="${LATENT_EBM_CLI:-./latent-ebm}"
export EPOCHS="${EPOCHS:-6}" THREADS="${THREADS:-1}" RUNS="${RUNS:-runs/paper}" BUNDLES="${BUNDLES:-models}"
JOBS="${JOBS:-2}" SEEDS="${SEEDS:-1 2 3}" DIGITS="${DIGITS:-1 4 5 7 9}" GAUSSIAN_DIGITS="${GAUSSIAN_DIGITS-1 4}"
make data >/dev/null
dotnet build cli/LatentEbm.Cli.csproj -c Release -nologo -v quiet -clp:ErrorsOnly
mkdir -p "$RUNS"
start=$(date +%s)
{
  for s in $SEEDS; do for d in $DIGITS; do echo "ebm $d $s"; done; done
  for d in $GAUSSIAN_DIGITS; do echo "gaussian $d 1"; done
} | xargs -P "$JOBS" -L 1 ./scripts/paper-job.sh || failed=1
trained=$(( $(date +%s) - start ))
echo "training, export and evaluation: $trained s wall with $JOBS jobs x $THREADS threads"
# A failed run (see runs/paper/logs/) leaves the others reported; re-running retries it.

# What the EBM prior buys, on the digits with a Gaussian baseline: sample quality (Fréchet distance in a shipped
# classifier's features) and reconstruction.
[ -z "$GAUSSIAN_DIGITS" ] || [ -f models/mnist-classifier/classifier.onnx ] || $LEBM classifier train --out models/mnist-classifier --threads "$JOBS"
for d in $GAUSSIAN_DIGITS; do
  for variant in ebm gaussian; do
    run="$RUNS/$variant-digit$d-seed1"
    if [ -f "$run/report.json" ] && [ ! -f "$run/sample_quality.json" ]; then
      $LEBM evaluate samples --run "$run" --classifier models/mnist-classifier --threads "$JOBS" || failed=1
    fi
  done
done
total=$(( $(date +%s) - start ))
$LEBM report paper-table --runs "$RUNS" --bundles "$BUNDLES" --out reports \
  --budget "$(nproc)-core CPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), no GPU; $JOBS runs at a time with $THREADS torch thread(s) each. Wall time of the last invocation of \`make paper-table\` ($(date -u +%Y-%m-%d)): $trained s for the training, export and ML.NET evaluation it had to do (finished steps are skipped), $total s in all; the table below gives every run's own training time."
exit "${failed:-0}"
