#!/usr/bin/env bash
# One cell of the paper table (see scripts/paper-table.sh): train a model under PAPER.md's protocol
# with digit DIGIT held out, export it to a verified bundle, and evaluate the bundle with the ML.NET
# evaluation job. Idempotent: a finished step is skipped, a killed training resumes.
#   usage: paper-job.sh VARIANT DIGIT SEED
#   VARIANT: ebm (the paper's model), amortised (the same with an encoder q(z|x) starting the posterior chains) or
#   gaussian (f = 0 baseline)
# Settings come from the environment: EPOCHS, THREADS, RUNS (folder), BUNDLES (folder of the
# committed seed-1 EBM bundles), TRAIN_ONLY=1 (train, then stop: a later invocation exports and evaluates).
# The score is the paper's log joint, fixed in advance (PAPER.md); the 10% validation split calibrates
# the other weightings, which the report shows as ablations.
set -euo pipefail
LEBM="${LATENT_EBM_CLI:-./latent-ebm}"
variant=$1 digit=$2 seed=$3
start=noise
case "$variant" in
  ebm) prior=ebm ;;
  amortised) prior=ebm start=encoder ;;
  gaussian) prior=gaussian ;;
  *) echo "unknown variant $variant" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
name="$variant-digit$digit-seed$seed"
run="$RUNS/$name"
if [ "$variant" = ebm ] && [ "$seed" = 1 ]; then bundle="$BUNDLES/lebm-digit$digit"; else bundle="$RUNS/bundles/$name"; fi
log="$RUNS/logs/$name.log"
mkdir -p "$RUNS/logs" "$RUNS/bundles"
{
  if [ ! -f "$run/report.json" ]; then
    if compgen -G "$run/checkpoints/epoch-*" >/dev/null; then
      $LEBM train --resume --out "$run" --threads "$THREADS"
    else
      rm -rf "$run" # killed before its first checkpoint: nothing to resume (train --resume refuses such a folder)
      $LEBM train --dataset mnist --holdout-digit "$digit" --seed "$seed" --epochs "$EPOCHS" --prior "$prior" --posterior-start "$start" \
        --score-weights log_joint --validation-fraction 0.1 --threads "$THREADS" --out "$run"
    fi
  fi
  if [ -n "${TRAIN_ONLY:-}" ]; then exit 0; fi
  if [ ! -f "$run/evaluation/report.json" ]; then
    $LEBM export --run "$run" --out "$bundle" --threads "$THREADS"
    $LEBM evaluate anomaly --bundle "$bundle" --out "$run/evaluation" --record
  fi
} >"$log" 2>&1 || { echo "FAILED $name (see $log)"; exit 1; }
if [ -n "${TRAIN_ONLY:-}" ]; then echo "trained $name"; else echo "done $name: $(grep -o '"pr_auc": [0-9.]*' "$run/evaluation/report.json" | head -1)"; fi
