#!/usr/bin/env bash
# Issue E2's confirmation: the screen's two best candidates that meet the rule (scales + learning rates at meta_lr 0.2
# with 16 meta steps: +0.28; scales alone at 0.2 / 16: +0.20) at seeds 3 and 4 on both data sets x LoRA / AdaptFormer /
# FLoRA, so that each cell has seeds 0-4 (0-2 from the screen). Runs after the screen; resumable (arms with records are
# skipped), so the same command continues in a later session. From the pinned worktree (commit ce97599).
# It runs the code of the repository it sits in, so copy it into the pinned worktree first (the records must come from
# the screen's commit), then, there (PATH holding a virtual environment with the dev extra, e.g. main's):
#   cp /path/to/main/scripts/confirm_defaults.sh scripts/ && PATH=/path/to/main/.venv/bin:$PATH PYTHONPATH=$PWD OMP_NUM_THREADS=1 bash scripts/confirm_defaults.sh
# (in ../e2 it ran as logs/confirm.sh after the screen's processes, with its first step started early as logs/base34.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TQDM_DISABLE=1 MPLBACKEND=Agg
NB=nbs/experiments/benchmark.ipynb; Y=nbs/experiments/benchmark_full.yaml; ONE="grids: {lora: [{}], adaptformer: [{}], flora: [{}]}"
# 1. Fashion-MNIST-LT LoRA and AdaptFormer at seeds 3, 4: defaults and linear probes (the benchmark has them for
#    FLoRA and for all of digits-LT); the grid is its default point alone (its other points are not confirmed)
echo "== $(date +%H:%M:%S) base: fashion_mnist_lt lora, adaptformer, seeds 3, 4"
mkdir -p runs/e2/base34
papermill $NB runs/e2/base34/fashion_mnist_lt.ipynb -f $Y --log-level ERROR \
  -y "{datasets: [fashion_mnist_lt], seeds: [3, 4], methods: [lora, adaptformer], meta_modes: [], frozen_from: [], $ONE, out_dir: runs/e2/base34}" \
  || echo "!! base failed; going on"
# 2. each candidate at seeds 3, 4, in a folder holding the benchmark's records, the new defaults and its screen records
for cand in "scale,lr 0.2 16" "scale 0.2 16"; do
  set -- $cand; types=$1; lr=$2; n=$3; name="${types/,/_}_lr${lr}_n${n}"; dir=runs/e2/confirm/$name
  for DS in digits_lt fashion_mnist_lt; do
    if [ ! -d "$dir/$DS" ]; then
      mkdir -p "$dir" && cp -r "nbs/experiments/results/benchmark_full/$DS" "$dir/" && rm -f "$dir/$DS"/*/seed*/{meta,frozen}_*.json
      cp -rn "runs/e2/$name/$DS/." "$dir/$DS/"
    fi
    [ "$DS" = fashion_mnist_lt ] && [ -d runs/e2/base34/fashion_mnist_lt ] && cp -rn runs/e2/base34/fashion_mnist_lt/. "$dir/$DS/"
    echo "== $(date +%H:%M:%S) $name on $DS (seeds 3, 4)"
    papermill $NB "$dir/$DS.ipynb" -f $Y --log-level ERROR \
      -y "{datasets: [$DS], seeds: [3, 4], methods: [lora, adaptformer, flora], meta_modes: [unrolled], frozen_from: [], $ONE, meta_opts: {meta_count: $n, meta_lr: $lr, meta_params: [$types]}, out_dir: $dir}" \
      || echo "!! $name on $DS failed (see $dir/$DS.ipynb); going on"
  done
done
