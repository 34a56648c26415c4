"""The committed benchmark records keep their run identities across changes of the configuration's defaults.

Each record of `nbs/experiments/results/` that names its run folder (`run`, ending in the 8-digit hash of the run's
identity) is resolved again from the options that made it: the benchmark's own `arm_config` recipe with the option
sets of `benchmark_full.yaml` and of the horizon arms (`benchmark_horizon/README.md`). Its hash must be the one in its
folder's name: a run made before a default changed is still found under its old name.
"""
import json
from pathlib import Path
import pytest, yaml
from metapeft_nb.config import get_config, parse_opts
from metapeft_nb.run import config_hash

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / 'nbs' / 'experiments' / 'results'
FULL = yaml.safe_load((ROOT / 'nbs' / 'experiments' / 'benchmark_full.yaml').read_text())
META_OPTS = {'benchmark_full': FULL['meta_opts'],   # the meta arms' options of each record set
             'benchmark_horizon/scale': {'meta_update_freq': 16, 'meta_lr': 0.2, 'meta_params': ['scale']},
             'benchmark_horizon/scale_lr': {'meta_update_freq': 16, 'meta_lr': 0.2, 'meta_params': ['scale', 'lr']}}

def arm_options(path: Path, r: dict, meta_opts) -> dict | None:
    "The options of the arm that wrote record `r` (the benchmark's `arm_config`), or None for an arm not rebuilt here."
    arm, data = r['arm'].split('@')
    o = dict(seed=r['seed'], num_epochs=FULL['epochs'][r['dataset']])
    if arm.startswith('meta_'): o.update(parse_opts(meta_opts), meta_mode=arm[5:], use_meta=True)
    elif data == 'main': o.update(use_meta=True, meta_steps='off')
    if arm.startswith('grid') and arm != 'grid': o.update(FULL['grids'][r['method']][int(arm[4:])])
    elif arm.startswith('frozen_'):   # phi_from the meta arm's folder, as it was named then
        src = path.parent / f'meta_{arm[7:]}@main.json'
        if not src.exists() or 'run' not in json.loads(src.read_text()): return None
        o['phi_from'] = json.loads(src.read_text())['run']
    elif arm not in ('default', 'linear_probe') and not arm.startswith('meta_'): return None   # the grid's winner: chosen, not given
    return o

def records():
    out = []
    for sub, meta_opts in META_OPTS.items():
        for p in sorted((RESULTS / sub).rglob('*.json')):
            r = json.loads(p.read_text())
            o = arm_options(p, r, meta_opts) if 'run' in r else None
            if o is not None: out.append(pytest.param(r, o, id=str(p.relative_to(RESULTS))))
    return out

RECORDS = records()

def test_enough_records():
    assert len(RECORDS) >= 150, len(RECORDS)   # 171 when written: meta, frozen, main and full arms of every set

@pytest.mark.parametrize('r,o', RECORDS)
def test_record_keeps_its_run_identity(r, o):
    cfg = get_config(r['dataset'], 'vit_tiny_c10', r['method'], o)
    assert Path(r['run']).name.endswith('_' + config_hash(cfg)), (r['run'], config_hash(cfg))

# what each committed sweep file is meant to run, checked on every point's resolved configuration (and its preset's)
_PRESET_EPOCHS = lambda cfg, preset: cfg.num_epochs == preset.num_epochs
INTENDED = {'smoke.yaml': lambda cfg, preset: (cfg.num_epochs, cfg.meta_count, cfg.meta_mode, cfg.use_meta) == (1, 8, preset.meta_mode, True),
            'parity_clip_vit_b16.yaml': _PRESET_EPOCHS, 'parity_in21k_vit_b16.yaml': _PRESET_EPOCHS}

@pytest.mark.parametrize('f', sorted((ROOT / 'nbs' / 'experiments' / 'sweeps').glob('*.yaml')), ids=lambda f: f.name)
def test_sweep_file_resolves(f):
    "Every point of every committed sweep file resolves, as train.ipynb resolves it (`point_config`), to the configuration it is meant to run."
    from metapeft_nb.sweep import load_sweep, expand_grid, notebook_parameters, point_error
    from metapeft_nb.config import point_config
    spec = load_sweep(f)
    known = notebook_parameters(spec['notebook'])
    assert f.name in INTENDED, f'{f.name}: say in INTENDED what its points are meant to run'
    import ast, papermill
    defaults = {k: ast.literal_eval(v['default']) for k, v in papermill.inspect_notebook(str(spec['notebook'])).items()}
    for point in expand_grid(spec):
        params = point['params']
        assert point_error(params, known) is None, (point, point_error(params, known))
        given = {**defaults, **params}                                  # what the notebook sees: its defaults, then the point's
        cfg = point_config(**{k: v for k, v in given.items() if k not in ('out_dir', 'overwrite')})
        preset = get_config(given['dataset'], given['model'], given['tuner'], {'use_meta': cfg.use_meta})
        assert INTENDED[f.name](cfg, preset), (f.name, params, cfg.num_epochs, preset.num_epochs)
        for k, v in parse_opts(params.get('opts') or {}).items(): assert getattr(cfg, k) == v, (f.name, params, k)
