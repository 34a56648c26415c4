"""List (and, with --write, fix) the notebook cells that nbdev's docs processing executes because they import something.

    .venv/bin/python scripts/split_imports.py nbs/60_train.ipynb ...           # report only
    .venv/bin/python scripts/split_imports.py --write nbs/60_train.ipynb ...   # move the imports out

nbdev 2.4.14 executes, while it builds the docs, every code cell that holds an `import` anywhere (see
`docs_build.exec_plan`), without the cells before it. For each such cell that holds more than imports (and is not
an export cell), this moves its imports into a new cell of imports only, inserted just above it, which keeps the
cell's `#| hide` and test-flag directives (`tst_flags`, e.g. `#| slow`, `#| cuda`). Imports at the top level of the
cell, or inside `with` / `for` / `while` blocks or a function body, are moved (the cell's behaviour is the same);
an import under `if` / `try` (a conditional or guarded import) is left for a person to move, and reported.
The cell's other lines, ids and outputs are kept; the new cell gets a fresh id.
"""
import argparse, ast, json, secrets, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _src(c): return ''.join(c['source']) if isinstance(c['source'], list) else c['source']


def _lines(s):
    ls = s.splitlines(True)
    if ls and ls[-1].endswith('\n'): ls[-1] = ls[-1][:-1]
    return ls


def _imports(tree):
    "(movable import nodes, guarded import nodes) of a cell's module tree."
    movable, guarded = [], []
    def walk(nodes, ok):
        for n in nodes:
            if isinstance(n, (ast.Import, ast.ImportFrom)): (movable if ok else guarded).append(n); continue
            for field in ('body', 'orelse', 'finalbody', 'handlers'):
                sub = getattr(n, field, None)
                if not sub: continue
                inner_ok = ok and isinstance(n, (ast.With, ast.For, ast.While, ast.FunctionDef, ast.AsyncFunctionDef, ast.AsyncWith, ast.AsyncFor)) and field == 'body'
                walk(sub if field != 'handlers' else [b for h in sub for b in h.body], inner_ok)
    walk(tree.body, True)
    return movable, guarded


def plan_notebook(path: Path, flags):
    "[(cell index, first line, movable import lines, guarded import lines)] for the cells to fix in `path`."
    from docs_build import executed_cells
    out = []
    for i, c, tree in executed_cells(path):
        mov, gua = _imports(tree)
        if not mov and not gua: continue
        first = next((l for l in c.source.splitlines() if l.strip()), '')
        out.append((i, first, mov, gua))
    return out


def fix_notebook(path: Path, flags, write=False):
    raw = json.loads(path.read_text(encoding='utf-8'))
    todo = plan_notebook(path, flags)
    report = []
    for i, first, mov, gua in reversed(todo):
        cell = raw['cells'][i]
        src = _src(cell).split('\n')
        dirs = [l for l in src if l.lstrip().startswith('#|')]
        n_dir = 0
        while n_dir < len(src) and (src[n_dir].lstrip().startswith('#|') or not src[n_dir].strip()): n_dir += 1
        keep_dirs = [l for l in dirs if l.replace('#|', '').strip().split(':')[0].strip() in set(flags) | {'hide'}]
        body = '\n'.join(src[n_dir:])
        blines = body.split('\n')
        moved, drop = [], set()
        for n in mov:
            seg = blines[n.lineno - 1:n.end_lineno]
            moved.append('\n'.join([seg[0].strip()] + [s.strip() for s in seg[1:]]))
            drop.update(range(n.lineno - 1, n.end_lineno))
        rest = [l for k, l in enumerate(blines) if k not in drop]
        while rest and not rest[0].strip(): rest.pop(0)
        report.append(f'{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} cell {i} ({first[:60]!r}): '
                      f'move {len(mov)} import(s) to a cell above' + (f'; {len(gua)} guarded import(s) at lines '
                      f'{[n.lineno for n in gua]} to move by hand' if gua else ''))
        if write and mov:
            cell['source'] = _lines('\n'.join(src[:n_dir] + rest).rstrip('\n'))
            new = {'cell_type': 'code', 'execution_count': None, 'id': secrets.token_hex(4), 'metadata': {}, 'outputs': [],
                   'source': _lines('\n'.join(keep_dirs + moved))}
            raw['cells'].insert(i, new)
    if write and todo:
        path.write_text(json.dumps(raw, indent=1, ensure_ascii=False, sort_keys=True) + '\n', encoding='utf-8')
    return list(reversed(report))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('notebooks', nargs='+')
    ap.add_argument('--write', action='store_true', help='change the notebooks (default: report only)')
    a = ap.parse_args(argv)
    from nbdev.config import get_config
    flags = get_config().tst_flags.split()
    n = 0
    for p in a.notebooks:
        for line in fix_notebook(Path(p).resolve(), flags, a.write): print(line); n += 1
    print(f'{n} cells {"changed" if a.write else "to change"}')
    return 0


if __name__ == '__main__': sys.exit(main())
