"The notebooks follow the house rules nbdev's docs processing depends on: imports in cells of their own."
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'scripts'))
from split_imports import plan_notebook  # noqa: E402

NOTEBOOKS = sorted(p for p in (ROOT / 'nbs').rglob('*.ipynb') if not any(s.startswith(('_', '.')) for s in p.relative_to(ROOT / 'nbs').parts))

def test_imports_in_cells_of_their_own():
    "nbdev executes, while building the docs, every cell holding an import, without the cells before it."
    bad = [f'{p.relative_to(ROOT)} cell {i}: {first!r}' for p in NOTEBOOKS for i, first, *_ in plan_notebook(p, None)]
    assert not bad, 'move these imports into a cell of their own (python scripts/split_imports.py --write NB):\n' + '\n'.join(bad)
