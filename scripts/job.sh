#!/bin/bash
# The device job: pretrain vit_tiny_c10 on the GPU, then the full benchmark as parallel slices. Writes into $OUT.
# usage: bash scripts/job.sh DEVICE PRETRAIN_BUDGET_S BENCH_DEADLINE_S [bench extra yaml] [workers]
DEV=$1; PRE_S=$2; BENCH_S=$3; EXTRA=${4:-"{}"}; WORKERS=${5:-16}
T0=$(date +%s)
if [ -d .whl ]; then   # the device machine: packages it lacks, and the data where the package looks for them
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site || exit 2
  mkdir -p ../shared/data /usr/share/datasets/fashion-mnist
  cp .gpu/data/cifar10_jpeg.tar.gz ../shared/data/; cp .gpu/fashion-mnist/*.gz /usr/share/datasets/fashion-mnist/
  PRE_DATA=../shared/data/cifar10_jpeg.tar.gz
fi
[ -d runs/asset_gpu ] && cp runs/asset_gpu/* metapeft_nb/assets/   # a second call on a warm machine: this run's weights
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 CUBLAS_WORKSPACE_CONFIG=:4096:8 PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
OUT=${OUT:-/tmp/out}; mkdir -p $OUT runs
save() {   # what comes back: at most 8 files
  cp metapeft_nb/assets/vit_tiny_c10.safetensors metapeft_nb/assets/vit_tiny_c10.json metapeft_nb/assets/MODEL_CARD.md $OUT/ 2>/dev/null
  [ -f runs/pretrain_gpu/state.pt ] && mkdir -p runs/asset_gpu && cp metapeft_nb/assets/vit_tiny_c10.* metapeft_nb/assets/MODEL_CARD.md runs/asset_gpu/
  tar czf $OUT/bench.tgz runs/benchmark_full runs/bench_logs runs/pretrain_gpu/history.json runs/*.log 2>/dev/null
}
python3 -c "import torch; print(torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name(0))"
if [ "$PRE_S" != "0" ]; then
  python3 scripts/pretrain_gpu.py $PRE_DATA runs/pretrain_gpu $PRE_S $DEV 2>&1 | tee runs/pretrain.log
  [ ${PIPESTATUS[0]} -eq 0 ] || { echo "PRETRAINING FAILED"; save; exit 3; }
fi
save
echo "pretraining done at $(( $(date +%s) - T0 )) s"
python3 scripts/bench.py nbs/experiments/benchmark_full.yaml $(( T0 + BENCH_S )) $WORKERS "$EXTRA" 2>&1 | tee runs/bench.log
[ ${PIPESTATUS[0]} -eq 0 ] && timeout 60 python3 scripts/run_nb.py nbs/experiments/benchmark.ipynb nbs/experiments/benchmark_full.yaml "$EXTRA" > runs/bench_tables.log 2>&1; echo "tables exit $?"
tail -n 120 runs/bench_tables.log
save
echo "job done at $(( $(date +%s) - T0 )) s"
