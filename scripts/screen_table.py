"""Issue E2's screening table from the records that `screen_defaults.sh` leaves (or their committed copies).

    .venv/bin/python scripts/screen_table.py nbs/experiments/results/e2_screen [--seeds 0 1 2]

For each candidate folder (`<types>_lr<meta_lr>_n<meta steps>`) and each data set x method cell with all the seeds'
records: the paired difference of balanced test accuracy (`mean_acc`) against the defaults trained on the same `main`
images (`default@main` of `nbs/experiments/results/benchmark_full`), its mean and standard error over the seeds, the
mean minus one standard error (the selection rule's score), the change of few-class accuracy, and the meta run's cost
as a multiple of the defaults' own run where both were timed on the same kind of device (else `-`). Prints markdown:
one row a candidate and cell, then one row a candidate with the rule's summary over the cells it has.
"""
import argparse, json, math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = ROOT / 'nbs' / 'experiments' / 'results' / 'benchmark_full'

def record(path: Path):
    return json.loads(path.read_text()) if path.exists() else None

def stats(xs):
    "(mean, standard error) of a list (s.e. 0 for one value)."
    m = sum(xs) / len(xs)
    se = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1) / len(xs)) if len(xs) > 1 else 0.0
    return m, se

def cells(cand: Path, seeds):
    "{(dataset, method): dict(delta=[...], few=[...], cost=[...])} over the seeds that have both records."
    out = {}
    for rec in sorted(cand.glob('*/*/seed*/meta_unrolled@main.json')):
        method, ds, seed = rec.parts[-3], rec.parts[-4], int(rec.parts[-2][4:])
        if seed not in seeds: continue
        r, d = record(rec), record(DEFAULTS / ds / method / f'seed{seed}' / 'default@main.json')
        if d is None: continue
        c = out.setdefault((ds, method), dict(seeds=[], delta=[], few=[], cost=[]))
        c['seeds'].append(seed)
        c['delta'].append(r['test']['mean_acc'] - d['test']['mean_acc'])
        c['few'].append(r['test']['few_acc'] - d['test']['few_acc'])
        c['cost'].append(r['cost_s'] / d['cost_s'] if r.get('device') == d.get('device') else None)
    return out

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('folder', help='the folder of candidate folders'); p.add_argument('--seeds', type=int, nargs='*', default=[0, 1, 2])
    a = p.parse_args()
    rows = ['| candidate | data set | method | seeds | Δ balanced acc. | Δ − 1 s.e. | Δ few | cost × defaults |', '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |']
    summary = ['| candidate | cells complete | mean of (Δ − 1 s.e.) | worst cell Δ few | rule (few ≥ −1 in every cell) |', '| --- | ---: | ---: | ---: | --- |']
    for cand in sorted(d for d in Path(a.folder).iterdir() if d.is_dir()):
        cs = cells(cand, set(a.seeds))
        scores, fews = [], []
        for (ds, method), c in sorted(cs.items()):
            m, se = stats(c['delta']); f, _ = stats(c['few'])
            costs = [x for x in c['cost'] if x is not None]
            rows.append(f"| {cand.name} | {ds} | {method} | {len(c['seeds'])} | {m:+.2f} ± {se:.2f} | {m - se:+.2f} | {f:+.2f} | "
                        + (f'{sum(costs) / len(costs):.2f}' if costs else '-') + ' |')
            if len(c['seeds']) == len(a.seeds): scores.append(m - se); fews.append(f)
        if scores:
            summary.append(f'| {cand.name} | {len(scores)} | {sum(scores) / len(scores):+.2f} | {min(fews):+.2f} | {"meets" if min(fews) >= -1 else "fails"} |')
    print('\n'.join(rows) + '\n\n' + '\n'.join(summary))

if __name__ == '__main__': main()
