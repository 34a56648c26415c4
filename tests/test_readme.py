"""Run every command line the README shows, verbatim, in README order (the two quick-start commands excepted: they
are how a fresh machine gets here).

Commands run with `bash -c` in a scratch copy of the repository (so the runs and outputs they write go there), with
this virtual environment's `bin/` first on `PATH`, as after `source .venv/bin/activate`. A command that needs data or
weights that are absent here must fail with its expected one-line error (`EXPECTED`); every other one must succeed.
`bash scripts/docs.sh` runs in the repository itself, after the notebook tests have left their executed copies.
"""
import os, re, shlex, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# command line fragment -> (exit status, phrase of its one-line error): data and weights that are not here
EXPECTED = {'root=data/cifar100': (2, 'metapeft: error: cifar100: the data root data/cifar100 does not exist'),
            'root=data/places365': (2, 'metapeft: error: places_lt: data root data/places365 not found')}

def readme_commands(text: str) -> list:
    "The command lines of the README's ```sh blocks (continuations joined, comments dropped), in order."
    out = []
    for block in re.findall(r'```sh\n(.*?)```', text, flags=re.S):
        for line in block.replace('\\\n', ' ').splitlines():
            words = shlex.split(line, comments=True)
            if words: out.append(shlex.join(words) if '&&' not in line else line.split('  #')[0].strip())
    return out

COMMANDS = readme_commands((ROOT / 'README.md').read_text())[2:]   # after the quick start's install and test commands

def test_the_readme_has_its_commands():
    assert COMMANDS[0].startswith('metapeft --list') and any(c.startswith('metapeft sweep') for c in COMMANDS)
    assert any(c.startswith('papermill') for c in COMMANDS) and 'bash scripts/docs.sh' in COMMANDS

@pytest.fixture(scope='module')
def scratch(tmp_path_factory):
    "A copy of what the README's commands read (notebooks, settings, sources), plus the images a user would classify."
    d = tmp_path_factory.mktemp('readme')
    for name in ('nbs', 'metapeft_nb', 'scripts'): shutil.copytree(ROOT / name, d / name, ignore=shutil.ignore_patterns('runs', '__pycache__', '.ipynb_checkpoints'))
    for name in ('settings.ini', 'setup.py', 'pyproject.toml', 'README.md'): shutil.copy(ROOT / name, d / name)
    from PIL import Image
    import numpy as np
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((32, 32, 3)) * 255).astype('uint8')).save(d / 'image.png')
    (d / 'images').mkdir()
    for i in range(3): Image.fromarray((rng.random((16, 16, 3)) * 255).astype('uint8')).save(d / 'images' / f'{i}.png')
    return d

def _docs_extra() -> bool:
    r = subprocess.run([sys.executable, '-c', 'import mkdocs, material, pymdownx'], capture_output=True)
    return r.returncode == 0 and shutil.which('npm') is not None

@pytest.mark.parametrize('command', COMMANDS)
def test_readme_command(command, scratch):
    if command == 'bash scripts/docs.sh':
        if not _docs_extra(): pytest.skip('the docs extra is not installed (pip install -e ".[docs]") or npm is missing')
        cwd = ROOT
    else: cwd = scratch
    env = {**os.environ, 'PATH': f'{BIN}{os.pathsep}{os.environ["PATH"]}', 'VIRTUAL_ENV': str(BIN.parent)}
    env.pop('IN_TEST', None)           # nbdev's test flag, left by the notebook tests: a user's shell has none
    r = subprocess.run(['bash', '-c', command], cwd=cwd, env=env, capture_output=True, text=True, timeout=3600)   # docs.sh alone executes what has no current copy
    status, says = next((v for k, v in EXPECTED.items() if k in command), (0, None))
    assert r.returncode == status, f'{command}\nexit {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}'
    if says:
        lines = r.stderr.strip().splitlines()
        assert lines and lines[-1].startswith(says) and sum(l.startswith('metapeft: error') for l in lines) == 1, r.stderr
    if command.startswith('metapeft'): assert 'Traceback' not in r.stderr, r.stderr
    if command.startswith('papermill nbs/experiments/train.ipynb'):   # what the README says its output shows
        import json
        sys.path.insert(0, str(ROOT / 'tests'))
        from test_papermill import shown
        out = shown(json.loads((cwd / command.split()[2]).read_text()))
        assert ' meta steps)' in out['markdown'] and out['figures'] >= 1, out
        assert out['markdown'].count('| accuracy |') == 1 and '| accuracy |' not in out['printed'], out
    if command == 'bash scripts/docs.sh' and _all_executed():   # after the notebook tests: every page must show its outputs
        c = subprocess.run([sys.executable, 'scripts/check_docs.py', '--require-outputs'], cwd=ROOT, capture_output=True, text=True)
        assert c.returncode == 0, c.stdout[-3000:] + c.stderr[-2000:]

def _all_executed() -> bool:
    "Whether the test run left a fresh executed copy of every notebook (as a full `python -m pytest` does)."
    sys.path.insert(0, str(ROOT / 'tests')); sys.path.insert(0, str(ROOT / 'scripts'))
    from test_notebooks import notebooks
    from nbexec import is_fresh
    return all(is_fresh(ROOT / '_exec' / nb, ROOT / 'nbs' / nb) for nb in notebooks())

def test_readme_python(scratch, tmp_path):
    "The README's Python lines give the same result as `run` with the same configuration."
    code = re.findall(r'```python\n(.*?)```', (ROOT / 'README.md').read_text(), flags=re.S)
    assert code, 'the README shows no Python'
    cwd = os.getcwd(); os.chdir(scratch)
    try:
        ns = {}; exec(code[0], ns)
    finally: os.chdir(cwd)
    from metapeft_nb.config import get_config
    from metapeft_nb.run import run
    same = run(get_config('digits_lt', 'vit_tiny_c10', None, dict(lora=True, lora_rank=4, lora_alpha=4.0, use_meta=True, num_epochs=1, output_dir=str(tmp_path))),
               log=lambda s: None)
    assert ns['results']['metrics']['per_class_acc'] == same['metrics']['per_class_acc']
    assert ns['results']['meta']['read_out'] == same['meta']['read_out']

def _embedded_numbers() -> dict:
    "The embedded default's measured numbers, from its committed record by the package's own `paired` (the one source the README and the docs home quote)."
    import json
    from metapeft_nb.experiment import paired, record_path
    rec = json.loads(record_path().read_text())
    meta = [k for k in rec['seeds']['0'] if k.startswith('meta-learned')][0]
    pm = lambda a, b: '{:+.2f} ± {:.2f}'.format(*paired(rec, a, b)[:2]).replace('-', '−')
    return {'defaults over the probe': pm('defaults', 'linear probe'), 'meta over the defaults': pm(meta, 'defaults'),
            'seeds': len(rec['seeds'])}

def test_readme_numbers_come_from_the_record():
    "Each number the README and the docs home quote from the embedded record is the record's (paired mean ± s.e. over its seeds)."
    import json
    n = _embedded_numbers()
    home = ''.join(''.join(c['source']) for c in json.loads((ROOT / 'nbs' / 'index.ipynb').read_text())['cells'])
    for text, where in ((ROOT / 'README.md').read_text(), 'README.md'), (home, 'nbs/index.ipynb'):
        flat = ' '.join(text.split())
        assert f"linear probe {n['defaults over the probe']} points" in flat, (where, n)
        assert f"the defaults {n['meta over the defaults']}" in flat, (where, n)
    assert n['seeds'] == 5

def _meta_cost() -> dict:
    "The meta-cost page's committed table (its stored output): {step: median time in plain steps, as printed}."
    import json
    nb = json.loads((ROOT / 'nbs' / 'benchmarks' / 'meta_cost.ipynb').read_text())
    text = next(''.join(o['text']) for c in nb['cells'] for o in c.get('outputs', [])
                if o.get('output_type') == 'stream' and '| step | time / plain step |' in ''.join(o.get('text', '')))
    return {r.split('|')[1].strip(): r.split('|')[2].split()[0] for r in text.splitlines() if r.startswith('| ') and 'K=' in r}

def _record(path, key, fmt='{:.2f}'):
    import json
    return lambda: fmt.format(json.loads((ROOT / path).read_text())[key])

# the README's measured numbers and where each comes from: (README phrase, its number's place as {}, record, reader)
RUN_MANY = 'nbs/benchmarks/results/run_many_cpu_timm_vit_tiny_test_b{}.json'
README_NUMBERS = [
    ('a first-order meta step costs {} plain steps', 'nbs/benchmarks/meta_cost.ipynb', lambda: _meta_cost()['first_order K=1']),
    ('an unrolled K = 1 one {}, K = 2', 'nbs/benchmarks/meta_cost.ipynb', lambda: _meta_cost()['unrolled K=1']),
    ('K = 2 {}, and implicit', 'nbs/benchmarks/meta_cost.ipynb', lambda: _meta_cost()['unrolled K=2']),
    ('implicit K = 1 with a fixed Neumann α {} (', 'nbs/benchmarks/meta_cost.ipynb', lambda: _meta_cost()['implicit K=1']),
    ('a stack of 4 tiny arms is {}× the throughput', RUN_MANY.format(4), _record(RUN_MANY.format(4), 'speed_up')),
    ('({}× at batch 128)', RUN_MANY.format(128), _record(RUN_MANY.format(128), 'speed_up')),
    ('**{} %** on the CIFAR-10 test set', 'metapeft_nb/assets/vit_tiny_c10.json', _record('metapeft_nb/assets/vit_tiny_c10.json', 'test_accuracy')),
    ('linear probe {} points', 'metapeft_nb/assets/embedded_record.json', lambda: _embedded_numbers()['defaults over the probe']),
    ('over the defaults {}', 'metapeft_nb/assets/embedded_record.json', lambda: _embedded_numbers()['meta over the defaults']),
]

@pytest.mark.parametrize('phrase,record,number', README_NUMBERS, ids=[p for p, *_ in README_NUMBERS])
def test_readme_number_is_its_records(phrase, record, number):
    "Each measured number the README quotes is the one in its record (phrase, record file, reader: README_NUMBERS)."
    assert (ROOT / record).exists(), record
    flat = ' '.join((ROOT / 'README.md').read_text().split())
    assert phrase.format(number()) in flat, (phrase.format(number()), record)

BENCH = ROOT / 'nbs' / 'experiments' / 'results' / 'benchmark_full'
BENCH_ROWS = {'meta (unrolled), on `main` − defaults on `main`': ('meta_unrolled@main', 'default@main'),
              'meta read-out retrained on all − defaults on all': ('frozen_unrolled@full', 'default@full'),
              'grid winner retrained on all − defaults on all': ('grid@full', 'default@full')}
BENCH_COLUMNS = {'digits': 'digits_lt', 'Fashion': 'fashion_mnist_lt', 'LoRA': 'lora', 'AdaptFormer': 'adaptformer', 'FLoRA': 'flora'}

def _bench_delta(dataset: str, method: str, arm: str, twin: str) -> str:
    "The paired difference in overall accuracy, mean ± std over the seeds whose records are all there, as the benchmark notebook prints it."
    import json, statistics
    acc = lambda p: json.loads(p.read_text())['test']['accuracy']
    deltas = []
    for sd in sorted((BENCH / dataset / method).glob('seed*')):
        if not (BENCH / dataset / 'linear_probe' / sd.name).is_dir(): continue          # the notebook's tables need the probe's seed too
        a = sd / f'{arm}.json'
        if arm == 'grid@full' and not a.exists(): a = sd / f'{twin}.json'             # the default point won: its retrained twin is the defaults'
        if a.exists() and (sd / f'{twin}.json').exists(): deltas.append(acc(a) - acc(sd / f'{twin}.json'))
    assert len(deltas) >= 2, (dataset, method, arm, f'{len(deltas)} seeds with both records: a spread needs two')
    return f'{statistics.mean(deltas):+.1f} ± {statistics.stdev(deltas):.1f}'

def test_readme_benchmark_table_is_the_records():
    "Every cell of the README's benchmark table is the paired difference its committed records give."
    text = (ROOT / 'README.md').read_text()
    head = next(l for l in text.splitlines() if l.strip().startswith('| | digits LoRA'))
    cols = [tuple(BENCH_COLUMNS[w] for w in c.split()) for c in head.strip().strip('|').split('|')[1:]]
    rows = [l.strip().strip('|').split('|') for l in text.splitlines() if l.strip().startswith('| ') and l.split('|')[1].strip() in BENCH_ROWS]
    assert len(rows) == len(BENCH_ROWS) and len(cols) == 6, (rows, cols)
    for label, *cells in rows:
        arm, twin = BENCH_ROWS[label.strip()]
        assert len(cells) == len(cols), (label.strip(), cells)
        for (dataset, method), cell in zip(cols, cells):
            want = _bench_delta(dataset, method, arm, twin)
            assert cell.strip().strip('*').replace('−', '-') == want, (label.strip(), dataset, method, cell.strip(), want)
