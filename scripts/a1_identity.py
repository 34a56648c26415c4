"""Issue A1's identity check: three benchmark arms run through `run`, their metrics and φ trajectories kept, and two
such sets compared exactly (the meta engine's refactor must change no number).

    python scripts/a1_identity.py run OUT          # digits-LT LoRA seed 0 unrolled scale+lr, LoRA replay, FLoRA implicit
    python scripts/a1_identity.py compare A B      # exit 1 where any metric, loss or φ differs

The arms use the full benchmark's budget (`nbs/experiments/benchmark_full.yaml`: vit_tiny_c10, 10 epochs, a meta
step every 4 optimiser steps, meta_lr 0.05, 3 Neumann terms) on the CPU.
"""
import json, sys
from pathlib import Path

ARMS = {'lora_unrolled_scale_lr': ('lora', dict(meta_mode='unrolled', meta_params=['scale', 'lr'])),
        'lora_replay': ('lora', dict(meta_mode='replay')),
        'flora_implicit': ('flora', dict(meta_mode='implicit'))}
TIMES = ('time_s', 'track_s', 'seconds', 'build_s', 'train_s', 'test_s', 'meta_val_s')

def _untimed(x):
    if isinstance(x, dict): return {k: _untimed(v) for k, v in x.items() if k not in TIMES}
    if isinstance(x, list): return [_untimed(v) for v in x]
    return x

def run_arms(out: Path):
    from metapeft_nb.config import get_config
    from metapeft_nb.run import run
    for name, (tuner, o) in ARMS.items():
        cfg = get_config('digits_lt', 'vit_tiny_c10', tuner, dict(seed=0, num_epochs=10, use_meta=True, meta_update_freq=4, meta_lr=0.05,
                         meta_neumann_terms=3, progress=False, tensorboard=False, figures=False, output_dir=str(out / 'runs'), **o))
        res = run(cfg, log=lambda s: None)
        keep = dict(metrics=res['metrics'], history=res['history'], meta=res['meta'])
        (out / f'{name}.json').write_text(json.dumps(_untimed(keep), indent=1, sort_keys=True))
        print(name, res['metrics']['accuracy'], res['meta']['steps'], 'meta steps', flush=True)

def compare(a: Path, b: Path) -> int:
    bad = 0
    for name in ARMS:
        if not all((d / f'{name}.json').exists() for d in (a, b)): print(f'{name}: missing'); bad += 1; continue
        x, y = (json.loads((d / f'{name}.json').read_text()) for d in (a, b))
        same = x == y
        print(f'{name}: {"identical" if same else "DIFFERENT"} (accuracy {x["metrics"]["accuracy"]} / {y["metrics"]["accuracy"]})')
        bad += not same
    return int(bad > 0)

if __name__ == '__main__':
    cmd, *paths = sys.argv[1:]
    if cmd == 'run': Path(paths[0]).mkdir(parents=True, exist_ok=True); run_arms(Path(paths[0]))
    elif cmd == 'compare': sys.exit(compare(Path(paths[0]), Path(paths[1])))
    else: sys.exit(f'{cmd!r}: run OUT, or compare A B')
