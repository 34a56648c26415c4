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
