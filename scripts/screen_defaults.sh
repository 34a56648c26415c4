#!/usr/bin/env bash
# Issue E2's screening of the meta-learning defaults: every candidate (meta types {scale, scale+lr} x meta_lr
# {0.01, 0.05, 0.2} x meta steps per run {16, 32, 64}; meta_mode unrolled, K = 1) on one data set x LoRA / AdaptFormer
# / FLoRA at seeds 0-2, as meta arms of nbs/experiments/benchmark.ipynb (the benchmark's budget: vit_tiny_c10, 10 epochs,
# whole test sets). Each candidate has a folder of its own under OUT (arm names are the mode's, so they would collide),
# with the defaults, grid and linear-probe records of benchmark_full copied in: only the candidate's meta arms train.
# Resumable: an arm whose record exists is not run again, so the same command continues after a kill or in a later
# session. TYPES="scale,lr" screens only the scales + learning rates candidates (slices then count those alone).
# Run it from a pinned worktree (the records' provenance names its commit):
#
#   git worktree add ../e2 <commit> && cd ../e2
#   PYTHONPATH=$PWD OMP_NUM_THREADS=1 bash scripts/screen_defaults.sh runs/e2 digits_lt 0/2 &   # two slices side by side
#   PYTHONPATH=$PWD OMP_NUM_THREADS=1 bash scripts/screen_defaults.sh runs/e2 digits_lt 1/2 &
#
# The papermill kernel inherits PYTHONPATH, so the worktree's package is the one that runs (main's virtual
# environment, `PATH=/path/to/main/.venv/bin:$PATH`).
set -euo pipefail
OUT=${1:-runs/e2}; DS=${2:-digits_lt}; SLICE=${3:-0/1}; SEEDS=${SEEDS:-0, 1, 2}; TYPES=${TYPES:-scale scale,lr}
S=${SLICE%/*}; N=${SLICE#*/}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REC=$ROOT/nbs/experiments/results/benchmark_full
i=0
for types in $TYPES; do
  for lr in 0.01 0.05 0.2; do
    for n in 16 32 64; do
      i=$((i + 1)); [ $(( (i - 1) % N )) -eq "$S" ] || continue
      name="${types/,/_}_lr${lr}_n${n}"; dir="$OUT/$name"
      if [ ! -d "$dir/$DS" ]; then
        mkdir -p "$dir" && cp -r "$REC/$DS" "$dir/" && rm -f "$dir/$DS"/*/seed*/{meta,frozen}_*.json
      fi
      echo "== $(date +%H:%M:%S) $name on $DS (seeds $SEEDS)"
      papermill "$ROOT/nbs/experiments/benchmark.ipynb" "$dir/$DS.ipynb" -f "$ROOT/nbs/experiments/benchmark_full.yaml" --log-level ERROR \
        -y "{datasets: [$DS], seeds: [$SEEDS], methods: [lora, adaptformer, flora], meta_modes: [unrolled], frozen_from: [], meta_opts: {meta_count: $n, meta_lr: $lr, meta_params: [$types]}, out_dir: $dir}" \
        || echo "!! $name on $DS failed (see $dir/$DS.ipynb); going on"
    done
  done
done
