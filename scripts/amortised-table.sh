#!/usr/bin/env bash
# make amortised-table: issue 12's MNIST anomaly rows with amortised posterior inference. Trains one amortised model
# (an encoder q(z|x) starts the posterior chains) per held-out digit (DIGITS: 1 4 5 7 9) and seed (SEEDS: 1 2 3), with
# the paper table's settings otherwise (scripts/paper-job.sh, EPOCHS 6), exports and evaluates each through the ML.NET job,
# JOBS at a time with THREADS torch threads each; then decides the default posterior start on validation images
# (reports/posterior-start.md: the seed-1 amortised bundles against the committed noise-started models/lebm-digitN) and
# writes reports/amortised-table.md and .json. Re-running skips finished work; a killed run resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
LEBM="${LATENT_EBM_CLI:-./latent-ebm}"
export EPOCHS="${EPOCHS:-6}" THREADS="${THREADS:-1}" RUNS="${RUNS:-runs/paper}" BUNDLES="${BUNDLES:-models}"
JOBS="${JOBS:-2}" SEEDS="${SEEDS:-1 2 3}" DIGITS="${DIGITS:-1 4 5 7 9}"
make data >/dev/null
dotnet build cli/LatentEbm.Cli.csproj -c Release -nologo -v quiet -clp:ErrorsOnly
mkdir -p "$RUNS"
start=$(date +%s)
for s in $SEEDS; do for d in $DIGITS; do echo "amortised $d $s"; done; done | xargs -P "$JOBS" -L 1 ./scripts/paper-job.sh || failed=1
trained=$(( $(date +%s) - start ))
noise=() encoder=()
for d in $DIGITS; do
  if [ -f "$BUNDLES/lebm-digit$d/manifest.json" ] && [ -f "$RUNS/bundles/amortised-digit$d-seed1/manifest.json" ]; then
    noise+=("$BUNDLES/lebm-digit$d"); encoder+=("$RUNS/bundles/amortised-digit$d-seed1")
  fi
done
[ ${#noise[@]} -eq 0 ] || $LEBM report posterior-start --noise "${noise[@]}" --encoder "${encoder[@]}" --validation-fraction 0.1 --out reports
$LEBM report amortised-table --runs "$RUNS" --noise-started reports/paper-table.json --out reports \
  --budget "$(nproc)-core CPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), no GPU; $JOBS runs at a time with $THREADS torch thread(s) each; $trained s wall for the training, export and evaluation the last \`make amortised-table\` ($(date -u +%Y-%m-%d)) had to do (finished steps are skipped); the per-run table gives every run's own training time."
exit "${failed:-0}"
