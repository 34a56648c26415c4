"""Run a notebook as nbdev's `test_nb` does and keep the executed copy, for the docs build.

The docs site shows every example's output, but committed notebooks carry none. The test run already executes
every notebook, so it can leave the executed copies behind (untracked, under `_exec/`) at no extra cost, and
`scripts/docs.sh` renders those when they are up to date (else the unexecuted notebooks).

    from nbexec import run_and_save                  # with scripts/ on sys.path
    ok, secs = run_and_save(NBS / nb, skip_flags=flags, basepath=ROOT, save_to=ROOT / '_exec' / nb)

`run_and_save` calls nbdev's own `nbdev.test.test_nb` unchanged (same cells skipped, same working directory,
same `IN_TEST`, same error report) and only captures the notebook it executed. On success the executed outputs
are written onto the notebook as read from disk (directives and frontmatter untouched, so the docs processing
sees the notebook exactly as committed, plus outputs) with a fingerprint of its cells' sources in
`metadata.metapeft_exec`; `is_fresh` compares that fingerprint with the notebook on disk. On failure or when
the notebook is not executed (`skip_exec`), a stale copy is removed.

Command line (what `scripts/docs.sh --exec` runs when no test run left copies):

    .venv/bin/python scripts/nbexec.py [NOTEBOOK ...]    # default: every notebook the tests run
    .venv/bin/python scripts/nbexec.py --stale [--list]  # only those without a current copy (--list: name them, run nothing)
"""
import functools, hashlib, json, os, sys, time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
EXEC_DIR = ROOT / '_exec'
NBS = ROOT / 'nbs'


@functools.lru_cache(maxsize=1)
def _package_hash() -> str:
    "sha256 of the package's generated modules: a notebook's outputs depend on the whole package, not its own cells alone."
    h = hashlib.sha256()
    for p in sorted((ROOT / 'metapeft_nb').rglob('*.py')): h.update(p.relative_to(ROOT).as_posix().encode() + b'\0' + p.read_bytes())
    return h.hexdigest()


def fingerprint(nb) -> str:
    "sha256 of the cell types and sources of `nb` (a path or a notebook dict) and of the package: what the outputs depend on."
    if not isinstance(nb, dict): nb = json.loads(Path(nb).read_text(encoding='utf-8'))
    cells = [(c['cell_type'], ''.join(c['source']) if isinstance(c['source'], list) else c['source']) for c in nb['cells']]
    return hashlib.sha256(json.dumps([_package_hash(), cells], ensure_ascii=False).encode()).hexdigest()


def is_fresh(executed: Path, source: Path) -> bool:
    "Is `executed` an executed copy of `source` as it is now on disk?"
    try: meta = json.loads(Path(executed).read_text(encoding='utf-8'))['metadata'].get('metapeft_exec', {})
    except (OSError, ValueError, KeyError): return False
    return meta.get('ok') is True and meta.get('fingerprint') == fingerprint(source)


def _save(executed_nb, fn: Path, dest: Path, flags, secs=None):
    "Copy the outputs of `executed_nb` (an execnb notebook, cells matched by id) onto `fn` as on disk; write to `dest`."
    nb = json.loads(Path(fn).read_text(encoding='utf-8'))
    by_id = {c.get('id'): c for c in executed_nb.cells if c.get('cell_type') == 'code' and c.get('id')}
    n = 0
    for c in nb['cells']:
        if c['cell_type'] != 'code': continue
        e = by_id.get(c.get('id'))
        outs = [dict(o) for o in (e.get('outputs') or [])] if e is not None else []
        c['outputs'] = json.loads(json.dumps(outs))       # execnb's AttrDicts -> plain JSON
        if outs: n += 1
    nb['metadata']['metapeft_exec'] = dict(ok=True, fingerprint=fingerprint(nb), skip_flags=sorted(flags),
                                           cells_with_outputs=n, saved=time.strftime('%Y-%m-%dT%H:%M:%S'),
                                           seconds=None if secs is None else round(secs, 1))
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix('.tmp')
    tmp.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
    tmp.replace(dest)


def run_and_save(fn, skip_flags=None, force_flags=None, do_print=False, showerr=True, basepath=None, save_to=None):
    "`nbdev.test.test_nb(fn, ...)`; on success also write the executed notebook to `save_to` (when given)."
    import nbdev.test as t
    from fastcore.basics import str2bool
    fn = Path(fn)
    seen = []
    class _Keep(t.NBProcessor):                        # the notebook that test_nb executes, captured
        def __init__(self, *a, **k): super().__init__(*a, **k); seen.append(self)
    with mock.patch.object(t, 'NBProcessor', _Keep):
        ok, secs = t.test_nb(fn, skip_flags=skip_flags, force_flags=force_flags, do_print=do_print,
                             showerr=showerr, basepath=basepath)
    if save_to is not None:
        save_to = Path(save_to)
        nb = seen[0].nb if seen else None
        skipped = nb is None or str2bool(getattr(nb, 'frontmatter_', {}).get('skip_exec', False))
        if ok and not skipped:
            flags = set(skip_flags or []) - set(force_flags or [])
            _save(nb, fn, save_to, flags, secs)
        elif save_to.exists(): save_to.unlink()
    return ok, secs


def notebooks(nbs: Path = NBS):
    "The notebooks the tests run: nbs/**/*.ipynb, no part starting with `_` or `.`, no `.notest` folder."
    out = []
    for p in sorted(nbs.rglob('*.ipynb')):
        rel = p.relative_to(nbs)
        if any(part.startswith(('_', '.')) for part in rel.parts): continue
        if any((d / '.notest').exists() for d in p.parents if d == nbs or nbs in d.parents): continue
        out.append(p)
    return out


def _skip_flags():
    from nbdev.config import get_config
    run = os.environ.get('METAPEFT_TEST_FLAGS', '').split()
    return [f for f in get_config().tst_flags.split() if f not in run]


def stale(paths=None) -> list:
    "The notebooks (default: those the tests run) without a current executed copy under _exec/."
    return [p for p in (paths or notebooks()) if not is_fresh(EXEC_DIR / p.relative_to(NBS), p)]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    os.chdir(ROOT)
    only_stale, just_list = '--stale' in argv, '--list' in argv
    paths = [Path(a).resolve() for a in argv if not a.startswith('--')] or notebooks()
    if only_stale: paths = stale(paths)
    if just_list:
        for p in paths: print(p.relative_to(NBS))
        return 0
    flags, failed, t0 = _skip_flags(), [], time.time()
    for p in paths:
        rel = p.relative_to(NBS)
        cwd, env = os.getcwd(), dict(os.environ)
        ok, secs = run_and_save(p, skip_flags=flags, basepath=ROOT, save_to=EXEC_DIR / rel)
        os.chdir(cwd); os.environ.clear(); os.environ.update(env)
        print(f'{"ok  " if ok else "FAIL"} {secs:6.1f}s  {rel}', flush=True)
        if not ok: failed.append(str(rel))
    print(f'{len(paths) - len(failed)}/{len(paths)} notebooks executed and saved under {EXEC_DIR.relative_to(ROOT)}/ '
          f'in {time.time() - t0:.0f}s' + (f'; failed: {", ".join(failed)}' if failed else ''))
    return 1 if failed else 0


if __name__ == '__main__': sys.exit(main())
