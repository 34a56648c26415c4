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

def test_no_unused_imports_or_locals():
    "Ruff (a dev requirement) with the rules pyproject.toml selects, on the package, the scripts and the tests: no unused import (F401) or local (F841), no shadowed (F811) or undefined name (F821, F822, F823), no syntax error (E9)."
    import re, subprocess
    select = re.search(r'^\[tool\.ruff\.lint\][^\[]*?^select = \[([^\]]*)\]', (ROOT / 'pyproject.toml').read_text(), re.M | re.S)
    assert select and {'F401', 'F841', 'F821', 'F822', 'F823', 'E9'} <= set(re.findall(r'"([A-Z]+\d*)"', select.group(1))), 'pyproject.toml: [tool.ruff.lint] select'
    r = subprocess.run([sys.executable, '-m', 'ruff', 'check', '--output-format', 'concise', '--no-cache',
                        'metapeft_nb', 'scripts', 'tests'], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, ('the package\'s modules are generated: fix these in their notebooks (nbs/), then nbdev_export; '
                               'a deliberate re-export takes `# noqa: F401 (why)`\n' + r.stdout + r.stderr)

def test_no_references_to_documents_outside_the_repository():
    "The design notes the package was built from are not in the repository: a reader cannot follow `DESIGN §4` or `REFERENCE 4.3`, so the text says what it means instead."
    import re
    files = NOTEBOOKS + sorted((ROOT / 'metapeft_nb').rglob('*.py')) + [ROOT / 'README.md']
    bad = [str(p.relative_to(ROOT)) for p in files if re.search(r'\b(DESIGN|REFERENCE)(\.md|\s+§|\s+section|\s+\d)', p.read_text(encoding='utf-8'))]
    assert not bad, 'these name DESIGN / REFERENCE, which are not in the repository:\n' + '\n'.join(bad)

def test_one_markdown_table_builder():
    "Every Markdown table the package prints is built by `io.md_table`: no other module writes a pipe table's separator line."
    import re
    sep = re.compile(r"""['"]\|? ?-{3}:? ?\||-{3}:? \|['"]""")
    bad = [f'{p.relative_to(ROOT)}:{i}' for p in sorted((ROOT / 'metapeft_nb').rglob('*.py')) if p.name not in ('io.py', '_modidx.py')
           for i, line in enumerate(p.read_text(encoding='utf-8').splitlines(), 1) if sep.search(line)]
    assert not bad, 'build these tables with metapeft_nb.io.md_table:\n' + '\n'.join(bad)
