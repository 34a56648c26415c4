"Every parameter of every experiment and benchmark notebook is visible to papermill, with its type and its comment."
import ast
from pathlib import Path
import nbformat, papermill, pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for d in ('experiments', 'benchmarks') for p in (ROOT / 'nbs' / d).glob('*.ipynb'))

def declared(nb_path) -> list:
    "The names the notebook's `parameters` cell assigns."
    nb = nbformat.read(nb_path, as_version=4)
    cells = [c for c in nb.cells if 'parameters' in c.metadata.get('tags', [])]
    if not cells: return []
    tree = ast.parse(cells[0].source)
    return [n.target.id if isinstance(n, ast.AnnAssign) else n.targets[0].id for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))]

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_visible(nb):
    names = declared(nb)
    if not names: pytest.skip(f'{nb.name} has no parameters cell')
    seen = papermill.inspect_notebook(str(nb))
    assert list(seen) == names, f'papermill cannot parse: {sorted(set(names) - set(seen))}'
    untyped = [k for k, v in seen.items() if v['inferred_type_name'] in ('None', None)]
    assert not untyped, f'parameters without a type: {untyped}'
    uncommented = [k for k, v in seen.items() if not v['help']]
    assert not uncommented, f'parameters without a comment: {uncommented}'

def test_train_notebook_opts_keep_meta_learning(tmp_path):
    "`-y \"opts: [...]\"` replaces the notebook's tiny budget, not meta-learning; with `use_meta: false` it says nothing was learned instead of a table of 1.000s."
    import json   # the kernel inherits conftest's offline, headless, quiet environment
    for use_meta in (True, False):
        out = tmp_path / f'meta_{use_meta}'; out.mkdir()
        params = dict(opts={'num_epochs': 1, 'meta_min_steps': 0}, out_dir=str(out / 'run'), **({} if use_meta else {'use_meta': False}))
        nb = papermill.execute_notebook(str(ROOT / 'nbs' / 'experiments' / 'train.ipynb'), str(out / 'out.ipynb'), parameters=params,
                                        cwd=str(tmp_path), progress_bar=False, log_output=False, kernel_name='python3')
        steps = json.loads((out / 'run' / 'results.json').read_text())['meta']['steps']
        text = '\n'.join(str(o.get('data', {}).get('text/markdown', '')) for c in nb.cells if c.cell_type == 'code' for o in c.get('outputs', []))
        assert (steps > 0) == use_meta, (use_meta, steps)
        assert ('Learned hyperparameters' in text) == use_meta and ('nothing was learned' in text) != use_meta, text[-500:]
