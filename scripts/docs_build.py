"""Build the documentation site into `_docs/` without Quarto (run through `scripts/docs.sh`).

Steps (each is a function below; `python scripts/docs_build.py` runs them all):

1. `stage`: copy the notebooks of `nbs/` (nbdev's rules: no file or folder starting with `_` or `.`) into
   `_build/nbs/`, each one replaced by its executed copy from `_exec/` when that copy is fresh (made from the
   notebook as it is now, see `scripts/nbexec.py`), so that the pages show every example's output.
2. `process`: nbdev's own processing, as `nbdev_docs` does it before it calls Quarto, minus the Quarto install:
   `refresh_quarto_yml()`, `_build_modidx()`, `nbdev_sidebar(path)`, `proc_nbs(path, force=True)` -> `_proc/`.
   (nbdev executes export cells, import cells and `show_doc` cells there to render the API entries.)
3. `convert`: every processed notebook -> one Markdown page under `_build/site/` (the frontmatter cell becomes the
   page title and summary; `#|` directives are obeyed and removed; hidden and `echo: false` sources are left out;
   `show_doc` entries get an anchor, a source link and a parameter table; outputs and figures are written out),
   plus the options / command-line reference page and the home page's contents list.
4. `render`: `mkdocs build` with the Material theme into `_docs/` (settings.ini's `doc_path`); math is typeset
   by a local MathJax copy (`--mathjax PATH` or `$MATHJAX_JS`, fetched by docs.sh), nothing is loaded from the web.
"""
import argparse, base64, hashlib, html, json, os, posixpath, re, shutil, subprocess, sys, time, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / '_build'
STAGE = BUILD / 'nbs'
SITE_SRC = BUILD / 'site'
EXEC_DIR = ROOT / '_exec'
sys.path.insert(0, str(ROOT / 'scripts'))


def _cfg():
    from nbdev.config import get_config
    return get_config(path=ROOT)


def _log(msg): print(f'[docs] {msg}', flush=True)


# ---------------------------------------------------------------------------------------------------- 1. stage
def _nb_files(nbs: Path):
    "Notebooks nbdev processes: nbs/**/*.ipynb with no path part starting with `_` or `.`."
    return [p for p in sorted(nbs.rglob('*.ipynb'))
            if not any(part.startswith(('_', '.')) for part in p.relative_to(nbs).parts)]


_ASSET_EXT = {'.png', '.jpg', '.jpeg', '.gif', '.svg', '.webp'}


def stage(exclude: str | None = None):
    "Copy nbs/ into _build/nbs/ (executed copies where fresh); return {rel: 'executed' | 'source' | 'stale'}."
    from nbexec import is_fresh
    cfg = _cfg()
    nbs = cfg.nbs_path
    if STAGE.exists(): shutil.rmtree(STAGE)
    STAGE.mkdir(parents=True)
    used = {}
    for p in _nb_files(nbs):
        rel = p.relative_to(nbs)
        if exclude and re.search(exclude, rel.as_posix()): _log(f'excluded (--exclude): {rel}'); continue
        e = EXEC_DIR / rel
        fresh = e.exists() and is_fresh(e, p)
        used[str(rel)] = 'executed' if fresh else ('stale' if e.exists() else 'source')
        (STAGE / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(e if fresh else p, STAGE / rel)
    for p in nbs.rglob('*'):                           # images that markdown cells may reference
        rel = p.relative_to(nbs)
        if p.is_file() and p.suffix.lower() in _ASSET_EXT and not any(x.startswith(('_', '.')) for x in rel.parts):
            (STAGE / rel).parent.mkdir(parents=True, exist_ok=True); shutil.copyfile(p, STAGE / rel)
    q = nbs / '_quarto.yml'
    if q.exists(): shutil.copyfile(q.resolve(), STAGE / '_quarto.yml')
    for n in ('nbdev.yml', 'styles.css'):
        if (nbs / n).exists(): shutil.copyfile(nbs / n, STAGE / n)
    n_ex = sum(v == 'executed' for v in used.values())
    stale = [k for k, v in used.items() if v == 'stale']
    _log(f'staged {len(used)} notebooks ({n_ex} with outputs from {EXEC_DIR.name}/'
         + (f'; stale executed copies ignored: {", ".join(stale)}' if stale else '') + ')')
    return used


# -------------------------------------------------------------------------------------------------- 2. process
def executed_cells(path: Path):
    """[(cell index, cell, parsed module)] of the code cells nbdev's docs processing executes in the notebook `path`,
    other than export cells and cells of imports only (see `exec_plan` for nbdev's rule). Empty for a notebook nbdev
    executes nothing in (no export cell and no `show_doc` call)."""
    import ast
    from nbdev.process import NBProcessor
    from nbdev.processors import _do_eval
    nb = NBProcessor(path, procs=None).nb
    codes = [c for c in nb.cells if c.cell_type == 'code']
    has_docs = any(set(c.directives_) & {'export', 'exports', 'exec_doc'} and 'hide' not in c.directives_ for c in codes) \
        or any(re.search(r'^show_doc', c.source, re.M) for c in codes)
    if not has_docs: return []
    res = []
    for i, c in enumerate(nb.cells):
        if c.cell_type != 'code': continue
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            if not _do_eval(c): continue
        if set(c.directives_) & {'export', 'exports', 'exporti', 'exec_doc'}: continue
        try: tree = ast.parse(c.source)
        except SyntaxError: continue
        if all(isinstance(t, (ast.Import, ast.ImportFrom)) for t in tree.body): continue
        res.append((i, c, tree))
    return res


def exec_plan(nbs: Path | None = None):
    """The cells nbdev will execute while processing, other than export cells and import-only cells.

    nbdev 2.4.14 (`nbdev.processors.exec_show_docs` / `_do_eval`) executes, in notebooks that have an export cell or a
    `show_doc` call (and no `skip_showdoc: true` frontmatter), every python code cell that is not `#| eval: false` and
    has no `nbdev_export()`, and that (a) has an `export`/`exports`/`exporti`/`exec_doc` directive, or (b) contains an
    `import` statement anywhere (also inside a function, loop or `with`), or (c) has a top-level `show_doc(...)` call.
    `#| hide` and the test flags (`#| slow`, `#| cuda`, `#| notest`) do not stop it. Returns [(notebook, cell index,
    directives, first line)] of the cells of kind (b) that hold more than imports: each runs without the cells before it.
    """
    import ast
    nbs = nbs or _cfg().nbs_path
    res = []
    for p in _nb_files(nbs):
        for i, c, tree in executed_cells(p):
            if all(isinstance(t, ast.Expr) and isinstance(t.value, ast.Call) and getattr(t.value.func, 'id', '') == 'show_doc'
                   for t in tree.body): continue
            first = next((l for l in c.source.splitlines() if l.strip()), '')
            res.append((p.relative_to(nbs).as_posix(), i, ' '.join(f'#| {k}' for k in c.directives_), first))
    return res


def process(n_workers: int = 0):
    "nbdev's docs processing of _build/nbs into _proc/ (no Quarto, no install step)."
    os.chdir(ROOT)
    from nbdev.quarto import refresh_quarto_yml, nbdev_sidebar
    from nbdev.doclinks import _build_modidx
    from nbdev.serve import proc_nbs
    os.environ.pop('IN_TEST', None)                    # _build_modidx does nothing under IN_TEST
    refresh_quarto_yml()                               # nbs/nbdev.yml from settings.ini (and _quarto.yml if missing)
    _build_modidx()                                    # metapeft_nb/_modidx.py: the symbol -> page index for links
    nbdev_sidebar.__wrapped__(path=STAGE, force=True)  # _build/nbs/sidebar.yml: nbdev's page order
    t = time.time()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        try: cache = proc_nbs(path=str(STAGE), n_workers=n_workers, force=True)
        except Exception as e:                         # nbdev: "Error in notebook: TITLE in cell N :\nSOURCE" from the cell's error
            msg = str(e).splitlines()
            cause = f'{type(e.__cause__).__name__}: {e.__cause__}' if e.__cause__ else type(e).__name__
            raise SystemExit(f'[docs] nbdev processing failed: {msg[0] if msg else e} (first line: {msg[1][:80] if len(msg) > 1 else ""!r})'
                             f' -> {cause}\n[docs] nbdev runs that cell because it imports something: move the imports into a cell '
                             f'of their own (python scripts/docs_build.py --plan lists such cells)')
    mixed = [str(x.message).split('---')[1].strip().splitlines()[0] for x in w
             if 'Found cells containing imports and other code' in str(x.message)]
    if mixed: _log(f'{len(mixed)} cells mix imports with other code (nbdev executes them): ' + '; '.join(m[:60] for m in mixed))
    _log(f'processed into {Path(cache).relative_to(ROOT)}/ in {time.time() - t:.1f}s')
    return Path(cache)


# -------------------------------------------------------------------------------------------------- 3. convert
_ANSI = re.compile(r'\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])')
_DIRECTIVE = re.compile(r'^\s*#\|\s?(.*)$')
_SOURCE_LINK = re.compile(r'\[source\]\((?P<url>[^)\s]+)\)\{[^}]*\}\s*')
_QUARTO_ATTRS = re.compile(r'(\]\([^)\s]*\))\{(?:target|style|\.)[^}]*\}')    # [txt](url){target="_blank" ...}


def _text(x): return ''.join(x) if isinstance(x, list) else (x or '')


def _fence(body: str, info: str = 'text') -> str:
    n = max([3] + [len(m) + 1 for m in re.findall(r'`{3,}', body)])
    return f"{'`' * n}{info}\n{body.rstrip()}\n{'`' * n}"


def _split_directives(src: str):
    "Leading `#|` lines -> ({key: value}, remaining source)."
    lines, opts, i = src.splitlines(), {}, 0
    while i < len(lines) and (_DIRECTIVE.match(lines[i]) or not lines[i].strip()):
        m = _DIRECTIVE.match(lines[i])
        if m:
            k, _, v = m.group(1).partition(':')
            opts[k.strip()] = v.strip().strip('"').strip("'") if v else ''
        i += 1
    return opts, '\n'.join(lines[i:])


def _false(v): return str(v).strip().lower() in ('false', 'no', '0')


class Pages:
    "Page names and link rewriting: notebook path <-> page .md path under the site root."
    def __init__(self, proc: Path, cfg):
        self.proc, self.md_of_html, self.md_of_nb, self.meta = proc, {}, {}, {}
        self.prefix = '/'.join(x for x in (cfg.doc_host.rstrip('/'), cfg.doc_baseurl.strip('/')) if x) + '/'
        for p in _nb_files(proc):
            fm = _frontmatter(json.loads(p.read_text(encoding='utf-8')))
            rel = p.relative_to(proc)
            out = fm.get('output-file') or re.sub(r'^\d+[a-zA-Z0-9]*_', '', p.stem.lower()) + '.html'
            md = (rel.parent / (out[:-5] + '.md')).as_posix()
            self.md_of_html[md[:-3] + '.html'] = md
            self.md_of_nb[rel.as_posix()] = md
            self.meta[md] = dict(nb=rel.as_posix(), title=str(fm.get('title') or p.stem), description=str(fm.get('description') or ''))
        self.stems = {Path(k).stem: v for k, v in self.md_of_nb.items()}

    def rel(self, target_md: str, page_md: str) -> str:
        return posixpath.relpath(target_md, posixpath.dirname(page_md) or '.')

    def rewrite(self, text: str, page_md: str) -> str:
        "Doc-host URLs, `*.html` and `*.ipynb` links to pages -> relative .md links; quarto {target=...} dropped."
        text = _QUARTO_ATTRS.sub(r'\1', text)
        def fix(url):
            base, frag = (url.split('#', 1) + [''])[:2]
            frag = '#' + frag if frag else ''
            if base.startswith(self.prefix): base = base[len(self.prefix):]
            elif re.match(r'^[a-z]+:', base) or not base: return url
            else: base = posixpath.normpath(posixpath.join(posixpath.dirname(page_md), base))
            if base.endswith('.ipynb'):
                b2 = re.sub(r'^(nbs/)', '', base)
                md = self.md_of_nb.get(b2) or self.md_of_nb.get(posixpath.basename(b2))
            else: md = self.md_of_html.get(base) or self.md_of_html.get(base[:-3] + '.html' if base.endswith('.md') else '')
            return self.rel(md, page_md) + frag if md else url
        text = re.sub(r'(\]\()([^)\s]+)((?:\s+"[^"]*")?\))', lambda m: m.group(1) + fix(m.group(2)) + m.group(3), text)
        text = re.sub(r'(href=")([^"]+)(")', lambda m: m.group(1) + fix(m.group(2)) + m.group(3), text)
        return text

    def link_notebook_names(self, text: str, page_md: str) -> str:
        "`20_backbones`, `nbs/25_pretrain.ipynb`, `experiments/benchmark.ipynb` in inline code -> links to the page."
        def sub(m):
            name = m.group(1)
            key = re.sub(r'^nbs/', '', name)
            md = self.md_of_nb.get(key) or self.md_of_nb.get(key + '.ipynb') or self.stems.get(name)
            return f'[`{name}`]({self.rel(md, page_md)})' if md else m.group(0)
        out = []
        for part in re.split(r'(```.*?```|\]\([^)]*\)|\[[^\]]*\]\()', text, flags=re.S):   # not inside fences / links
            out.append(part if part.startswith(('```', '](', '[')) else
                       re.sub(r'(?<!\[)`((?:nbs/)?(?:[\w.-]+/)?\d\d[\w.-]*?(?:\.ipynb)?|(?:nbs/)?[\w-]+/[\w.-]+\.ipynb)`', sub, part))
        return ''.join(out)


def _frontmatter(nb: dict) -> dict:
    import yaml
    for c in nb['cells']:
        if c['cell_type'] == 'raw':
            s = _text(c['source']).strip()
            if s.startswith('---'):
                try: return yaml.safe_load(s.strip('-').strip()) or {}
                except yaml.YAMLError: return {}
    return {}


def _symbol(module: str, qualname: str):
    import importlib
    try: obj = importlib.import_module(module)
    except Exception: return None
    for part in qualname.split('.'):
        obj = getattr(obj, part, None)
        if obj is None: return None
    return obj


def _esc_cell(s, md=True) -> str:
    "Text for one markdown table cell: one line, `|` escaped; with `md`, `_` and `*` outside code spans escaped too."
    s = str(s).replace('\n', ' ').strip()
    if md: s = ''.join(p if p.startswith('`') else re.sub(r'([_*])', r'\\\1', p) for p in re.split(r'(`[^`]*`)', s))
    return s.replace('|', '\\|')


def param_table(sym) -> str:
    "A markdown table of `sym`'s parameters from its docments comments: name, type, default, details."
    import inspect
    from fastcore.docments import docments
    try: d = docments(sym, full=True, eval_str=False)
    except Exception: return ''
    try: order = [p for p in inspect.signature(sym).parameters if p != 'self']
    except (TypeError, ValueError): order = [k for k in d if k not in ('self', 'return')]
    def fmt_anno(a):
        if a is inspect._empty: return ''
        return a if isinstance(a, str) else inspect.formatannotation(a)
    try: sig = inspect.signature(sym)
    except (TypeError, ValueError): sig = None
    rows = []
    for n in order:
        if n not in d: continue
        v = d[n]
        kind, anno = '', v['anno']
        if sig is not None and n in sig.parameters:      # the annotation as written (docments guesses one from the default)
            pk, anno = sig.parameters[n].kind, sig.parameters[n].annotation
            kind = '*' if pk == inspect.Parameter.VAR_POSITIONAL else '**' if pk == inspect.Parameter.VAR_KEYWORD else ''
        dflt = '' if v['default'] is inspect._empty else repr(v['default'])
        rows.append((f'`{kind}{n}`', _esc_cell(fmt_anno(anno), md=False), _esc_cell(f'`{dflt}`' if dflt else ''), _esc_cell(v['docment'] or '')))
    r = d.get('return')
    ranno = sig.return_annotation if sig is not None else inspect._empty
    if r and (ranno is not inspect._empty or r['docment']):
        rows.append(('**returns**', _esc_cell(fmt_anno(ranno), md=False), '', _esc_cell(r['docment'] or '')))
    if not rows: return ''
    out = ['| | **Type** | **Default** | **Details** |', '| --- | --- | --- | --- |']
    out += ['| ' + ' | '.join(row) + ' |' for row in rows]
    return '\n'.join(out)


def _first_line(obj) -> str:
    "The first line of `obj`'s own docstring (not one inherited, as `inspect.getdoc` would give)."
    d = getattr(obj, '__doc__', None) or ''
    return d.strip().splitlines()[0] if d.strip() else ''


def methods_table(cls, skip=()) -> str:
    "The public methods and properties a class defines itself, each with nbdev's anchor `#class.method`."
    import inspect
    rows = []
    for n, v in vars(cls).items():
        if n.startswith('_') or f'{cls.__name__}.{n}' in skip: continue
        f = v.__func__ if isinstance(v, (classmethod, staticmethod)) else v
        if not (inspect.isfunction(f) or isinstance(v, property)): continue
        kind = 'property' if isinstance(v, property) else 'classmethod' if isinstance(v, classmethod) else \
            'staticmethod' if isinstance(v, staticmethod) else 'method'
        anchor = html.escape(f'{cls.__name__}.{n}'.lower())
        rows.append(f'| <span id="{anchor}"></span>`{n}` | {kind} | {_esc_cell(_first_line(v.fget if isinstance(v, property) else f))} |')
    if not rows: return ''
    return '\n'.join(['| **Methods** | | |', '| --- | --- | --- |'] + rows)


def _resolve(name: str, url: str | None, default_module: str | None, cfg):
    "(module, object, source url) of a show_doc entry: the notebook's own module first, then the url's module."
    import inspect
    url_mod = None
    if url:
        um = re.search(r'/blob/[^/]+/(.+?)\.py(?:#|$)', url)
        if um: url_mod = um.group(1).replace('/', '.')
    for mod in dict.fromkeys(m for m in (default_module, url_mod) if m):
        obj = _symbol(mod, name)
        if obj is None: continue
        if mod != url_mod and cfg is not None:        # nbdev linked another module's symbol of the same name
            try:
                path = inspect.getsourcefile(obj); line = inspect.getsourcelines(obj)[1]
                rel = Path(path).resolve().relative_to(ROOT).as_posix()
                url = f"{cfg.git_url.rstrip('/')}/blob/{cfg.branch}/{rel}#L{line}"
            except (TypeError, OSError, ValueError): url = None
        return mod, obj, url
    return url_mod or default_module, None, url


def show_doc_entry(md: str, default_module: str | None, cfg=None, explicit=()) -> str:
    "nbdev's show_doc markdown -> one entry: anchor (nbdev's `#name.lower()`), source link, signature, doc, table."
    import inspect
    s = md.strip()
    s = re.sub(r'^---\s*\n', '', s)
    url = None
    m = _SOURCE_LINK.search(s)
    if m: url, s = m.group('url'), s[:m.start()] + s[m.end():]
    s = _QUARTO_ATTRS.sub(r'\1', s).strip()
    hm = re.match(r'^(#+)\s+(.+?)\s*$', s, flags=re.M)
    if not hm: return s
    level, name = hm.group(1), hm.group(2)
    rest = re.sub(r'(\w):NoneType=None\b', r'\1=None', s[hm.end():].strip())   # nbdev guesses a type from a None default: shown as written
    plain = re.sub(r'[`*]', '', name)
    module, sym, url = _resolve(plain, url, default_module, cfg)
    qual = f'{module}.{plain}' if module else plain
    table = param_table(sym) if sym is not None and callable(sym) else ''
    meths = methods_table(sym, explicit) if inspect.isclass(sym) else ''
    src = f'<a class="sd-source" href="{html.escape(url)}">source</a>\n\n' if url else ''
    return (f'<div class="sd" data-sym="{html.escape(qual)}" markdown="1">\n\n{src}'
            f'{level} {name} {{ id="{html.escape(plain.lower())}" .sd-name }}\n\n{rest}\n\n'
            + (f'{table}\n\n' if table else '') + (f'{meths}\n\n' if meths else '') + '</div>')


def constant_entries(src_nb: dict, module: str | None, kept_ids: set):
    """Entries for the exported names that are not functions or classes (nbdev shows no show_doc for them).

    Returns {id of the last cell before the export cell that survives processing (or None): [entry markdown]}."""
    import ast, inspect
    if not module: return {}
    try: mod = __import__(module, fromlist=['_'])
    except Exception: return {}
    names = {n for n in getattr(mod, '__all__', []) if not (inspect.isfunction(getattr(mod, n, None)) or inspect.isclass(getattr(mod, n, None)))}
    res, last = {}, None
    for c in src_nb['cells']:
        if c.get('id') in kept_ids: last = c['id']
        if c['cell_type'] != 'code': continue
        opts, code = _split_directives(_text(c['source']))
        if not ({'export', 'exports'} & set(opts)) or 'hide' in opts: continue
        try: tree = ast.parse(code)
        except SyntaxError: continue
        lines = code.splitlines()
        for node in tree.body:
            tg = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            def _nm(t): return [t.id] if isinstance(t, ast.Name) else [x for e in t.elts for x in _nm(e)] if isinstance(t, (ast.Tuple, ast.List)) else []
            nms = [x for t in tg for x in _nm(t) if x in names]
            if not nms: continue
            a, b = node.lineno - 1, node.end_lineno
            while a > 0 and lines[a - 1].lstrip().startswith('#'): a -= 1        # the comment just above
            stmt = '\n'.join(lines[a:b])
            body = _fence(stmt, 'python')
            if stmt.count('\n') > 14: body = f'<details markdown="1">\n<summary>value ({stmt.count(chr(10)) + 1} lines)</summary>\n\n{body}\n\n</details>'
            for n in nms:
                names.discard(n)
                res.setdefault(last, []).append(
                    f'<div class="sd sd-const" data-sym="{html.escape(module)}.{n}" markdown="1">\n\n'
                    f'#### {n} {{ id="{n.lower()}" .sd-name }}\n\n' + body + '\n\n</div>\n')
    return res


def _image_file(data: str, ext: str, page_dir: Path, page_stem: str) -> str:
    raw = base64.b64decode(data) if ext != 'svg' else data.encode()
    sha = hashlib.sha1(raw).hexdigest()[:16]
    d = page_dir / f'{page_stem}_files'; d.mkdir(parents=True, exist_ok=True)
    (d / f'{sha}.{ext}').write_bytes(raw)
    return f'{page_stem}_files/{sha}.{ext}'


_TMP = re.compile(r'/tmp/[\w.-]+')                    # tempfile.mkdtemp() folders of the examples, shown as scratch/
_WIDGET_NOTE = ('<div class="nb-out nb-widget" markdown="1">\n*A live widget: it needs a running kernel, so open this notebook in '
                'Jupyter to use it.{}*\n</div>')


def _text_out(txt: str, info: str) -> list:
    "Printed text -> Markdown: its Markdown tables rendered (the package's `io.split_tables`), the rest fenced, collapsed past 40 lines or 4,000 characters."
    from metapeft_nb.io import split_tables
    parts = []
    txt = re.sub(r'[^\n]*\r(?!\n)', '', _TMP.sub('scratch', _ANSI.sub('', txt)))   # a progress bar's updates: its last state
    for table, body in split_tables(txt):
        n = body.strip('\n').count('\n') + 1
        if table: parts.append(f'<div class="nb-out nb-table" markdown="1">\n\n{body}\n\n</div>')
        elif body.strip() and (n > 40 or len(body) > 4000):
            parts.append(f'<details class="nb-long" markdown="1">\n<summary>output ({n} lines)</summary>\n\n{_fence(body.strip(chr(10)), info)}\n\n</details>')
        elif body.strip(): parts.append(_fence(body.strip('\n'), info))
    return parts


def _outputs(cell, opts, page_dir, page_stem, default_module, cfg=None, explicit=()):
    parts, stream = [], None
    def flush():
        nonlocal stream
        if stream:
            name, txt = stream
            parts.extend(_text_out(txt, '{.text .nb-out' + (' .nb-stderr' if name == 'stderr' else '') + '}'))
        stream = None
    asis = opts.get('output') == 'asis'
    for o in cell.get('outputs', []):
        ot = o.get('output_type')
        if ot == 'stream':
            if stream and stream[0] == o.get('name'): stream = (stream[0], stream[1] + _text(o.get('text')))
            else: flush(); stream = (o.get('name'), _text(o.get('text')))
            continue
        flush()
        if ot == 'error':
            parts.extend(_text_out('\n'.join(o.get('traceback', [])) or f"{o.get('ename')}: {o.get('evalue')}", '{.text .nb-out .nb-error}'))
            continue
        data, meta = o.get('data', {}), o.get('metadata', {})
        if 'application/vnd.jupyter.widget-view+json' in data:         # a widget: the note, and its static figure where it gave one
            parts.append(_WIDGET_NOTE.format(' Below: the figure it showed when this page was built.' if 'image/png' in data else ''))
            data = {k: v for k, v in data.items() if k == 'image/png'}
        if 'text/markdown' in data and (asis or _is_show_doc(cell)):
            t = _text(data['text/markdown'])
            parts.append(show_doc_entry(t, default_module, cfg, explicit) if _is_show_doc(cell) else t)
        elif any(k in data for k in ('image/png', 'image/jpeg')):
            k = 'image/png' if 'image/png' in data else 'image/jpeg'
            f = _image_file(_text(data[k]).replace('\n', ''), 'png' if k == 'image/png' else 'jpg', page_dir, page_stem)
            w = (meta.get(k) or {}).get('width')
            parts.append(f'![figure]({f}){{ .nb-img' + (f' width="{w}"' if w else '') + ' }')
        elif 'image/svg+xml' in data:
            f = _image_file(_text(data['image/svg+xml']), 'svg', page_dir, page_stem)
            parts.append(f'![figure]({f}){{ .nb-img }}')
        elif 'text/html' in data:
            parts.append(f'<div class="nb-out nb-html">\n{_TMP.sub("scratch", _text(data["text/html"])).strip()}\n</div>')
        elif 'text/markdown' in data:
            parts.append(_TMP.sub('scratch', _text(data['text/markdown'])))
        elif 'text/latex' in data:
            parts.append(_text(data['text/latex']))
        elif 'text/plain' in data: parts.extend(_text_out(_text(data['text/plain']), '{.text .nb-out}'))
    flush()
    return parts


def _is_show_doc(cell): return cell.get('cell_type') == 'code' and re.search(r'^\s*show_doc\(', _text(cell.get('source')), re.M)


def _default_module(nb: dict, lib: str):
    for c in nb['cells']:
        m = re.search(r'^\s*#\|\s*default_exp\s+(\S+)', _text(c['source']), re.M)
        if m: return f'{lib}.{m.group(1)}'
    return None


def convert_nb(path: Path, page_md: str, pages: Pages, cfg, src_nb: dict) -> str:
    "One processed notebook -> the Markdown of its page (images written beside it)."
    nb = json.loads(path.read_text(encoding='utf-8'))
    default_module = _default_module(src_nb, cfg.lib_name)
    meta = pages.meta[page_md]
    page_dir = (SITE_SRC / page_md).parent
    stem = Path(page_md).stem
    title, desc = meta['title'], meta['description']
    explicit = {m.group(1) for c in nb['cells'] if c['cell_type'] == 'code' and not c.get('has_sd')
                for m in re.finditer(r'^\s*show_doc\(\s*([\w.]+)', _text(c['source']), re.M)}
    consts = constant_entries(src_nb, default_module, {c.get('id') for c in nb['cells']})
    tst = set(cfg.get('tst_flags', '').split())
    flagged = {c.get('id'): sorted(tst & set(_split_directives(_text(c['source']))[0])) for c in src_nb['cells'] if c['cell_type'] == 'code'}
    out = ['---', f'title: {json.dumps(title, ensure_ascii=False)}'] + ([f'description: {json.dumps(desc, ensure_ascii=False)}'] if desc else []) + ['---', '']
    out += [f'# {title}', '']
    if desc: out += [f'<p class="nb-summary" markdown="1">{pages.link_notebook_names(pages.rewrite(desc, page_md), page_md)}</p>', '']
    pending = list(consts.get(None, []))
    for c in nb['cells']:
        if pending and not c.get('has_sd') and c['cell_type'] != 'raw': out += pending + ['']; pending = []
        pending += consts.get(c.get('id'), [])
        src = _text(c.get('source'))
        if c['cell_type'] == 'raw':
            if src.strip().startswith('---') and re.search(r'^title:', src, re.M): continue   # the frontmatter
            out += [src, '']; continue
        if c['cell_type'] == 'markdown':
            if src.strip().startswith('<!-- WARNING: THIS FILE WAS AUTOGENERATED'): continue
            out += [pages.link_notebook_names(pages.rewrite(src, page_md), page_md), '']; continue
        opts, code = _split_directives(src)
        if _false(opts.get('include', 'true')): continue
        echo = not _false(opts.get('echo', 'true')) and not _is_show_doc(c)
        block = []
        if echo and code.strip():
            fold = opts.get('code-fold')
            if fold and not _false(fold):
                summary = opts.get('code-summary') or 'Code'
                block.append(f'<details class="nb-src" markdown="1">\n<summary>{html.escape(summary)}</summary>\n\n{_fence(code, "python")}\n\n</details>')
            else: block.append(_fence(code, 'python'))
        if not _false(opts.get('output', 'true')):
            for o in _outputs(c, opts, page_dir, stem, default_module, cfg, explicit): block.append(pages.rewrite(o, page_md))
        fl = flagged.get(c.get('id'))
        if fl and echo and not c.get('outputs'):
            block.append(f'<p class="nb-skipped">Not run for these pages: a <code>{", ".join(fl)}</code> cell, which the tests '
                         f'skip unless run with that flag (<code>METAPEFT_TEST_FLAGS="{" ".join(fl)}"</code>).</p>')
        out += [b + '\n' for b in block]
    out += pending
    return '\n'.join(out).rstrip() + '\n'


def _fix_anchors(pages: Pages):
    "Links to `page.md#name` where the page has no such entry (nbdev links private names too) -> to the page itself."
    texts = {md: (SITE_SRC / md).read_text(encoding='utf-8') for md in list(pages.meta) + ['options.md'] if (SITE_SRC / md).exists()}
    ids = {md: set(re.findall(r'\bid="([^"]+)"', t)) for md, t in texts.items()}
    n = 0
    for md, t in texts.items():
        def fix(m):
            nonlocal n
            target = posixpath.normpath(posixpath.join(posixpath.dirname(md), m.group(2))) if m.group(2) else md
            if target in ids and m.group(3) not in ids[target] and re.fullmatch(r'[\w.]+', m.group(3)):
                n += 1; return f'{m.group(1)}{m.group(2) or "#"})' if m.group(2) else m.group(0)
            return m.group(0)
        new = re.sub(r'(\]\()([^)#\s]*\.md)?#([^)\s"]+)\)', fix, t)
        if new != t: (SITE_SRC / md).write_text(new, encoding='utf-8')
    if n: _log(f'{n} links to names without an entry (private or undocumented) point to their page instead')


def _escape_table(table: str) -> str:
    "A markdown table with the bare `|`s inside its cells escaped."
    lines = []
    for l in table.splitlines():
        if l.startswith('|') and not re.match(r'^\|\s*-', l):
            cells = re.split(r'(?<=\s)\|(?=\s)', l.strip()[1:-1])
            l = '|' + '|'.join(re.sub(r'(?<!\\)\|', r' \\| ', x) for x in cells) + '|'
        lines.append(l)
    return '\n'.join(lines)

def _errors_table() -> str:
    from metapeft_nb.io import error_table
    from metapeft_nb.train import NonFiniteError
    from metapeft_nb.distributed import RankError
    return error_table(extra=(NonFiniteError, RankError))


def _options_page() -> str:
    "The reference of every option (from `metapeft_nb.config`) and of the command line (`metapeft --help`)."
    import io, contextlib
    os.environ.setdefault('COLUMNS', '100')
    from metapeft_nb import config
    import metapeft_nb.run   # noqa: F401 (every layer registers its rules in config.RULES)
    table = config.describe()
    # a type such as `digits|cifar10|...` holds `|`s that would split the table's cells: escape bare pipes
    lines = []
    for l in table.splitlines():
        if l.startswith('|') and not re.match(r'^\|\s*-', l):
            inner = l.strip()[1:-1]
            cells = re.split(r'(?<=\s)\|(?=\s)', inner)
            l = '|' + '|'.join(re.sub(r'(?<!\\)\|', r' \\| ', x) for x in cells) + '|'
        lines.append(l)
    from metapeft_nb import experiment
    helps = [('metapeft', experiment.make_parser().format_help())]
    for verb in getattr(experiment, 'VERBS', {}):
        buf = io.StringIO()
        try:
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()): experiment.dispatch([verb, '--help'])
        except SystemExit: pass
        except Exception as e: buf.write(f'(help unavailable: {type(e).__name__}: {e})')
        if buf.getvalue().strip(): helps.append((f'metapeft {verb}', buf.getvalue()))
    out = ['---', 'title: "Options and command line"', 'description: "Every configuration option (type, default, meaning) and the metapeft command line."', '---', '',
           '# Options and command line', '',
           '<p class="nb-summary">Every option of <code>metapeft_nb.config.Config</code> (its type, default and meaning, as '
           '<code>metapeft --describe</code> prints them) and the help of the <code>metapeft</code> command line and its verbs. '
           'Generated from the package at build time.</p>', '',
           '## Options', '', 'Presets merge as defaults < data < model < tuner < `--opts key=value`.', '',
           '<div class="opts" markdown="1">', '', '\n'.join(lines), '', '</div>', '',
           "## What can run together", '', 'Every combination of options a run cannot take is refused, in one line, by one of these rules '
           '(`metapeft_nb.config.RULES`), before anything is read, built or written.', '', _escape_table(config.rules_table()), '',
           "## The public code's option names", '', 'Read as these options, with one warning line each.', '', config.aliases_table(), '',
           '## Errors and exit statuses', '', _errors_table(), '',
           '## Command line', '']
    for name, h in helps: out += [f'### `{name}`', '', _fence(h, '{.text .nb-out}'), '']
    return '\n'.join(out)


def _nav_from_sidebar(pages: Pages):
    "nbdev's sidebar.yml order -> mkdocs nav entries (folders become sections)."
    import yaml
    sb = yaml.safe_load((STAGE / 'sidebar.yml').read_text())['website']['sidebar']['contents']
    def entry(x):
        if isinstance(x, str):
            md = pages.md_of_nb.get(x)
            return {pages.meta[md]['title']: md} if md else None
        if isinstance(x, dict) and 'contents' in x:
            sect = str(x.get('section', '')).replace('_', ' ').strip().capitalize() or 'Pages'
            items = [e for e in (entry(y) for y in ([x['href']] if 'href' in x else []) + x['contents']) if e]   # its index page first
            return {sect: items} if items else None
        return None
    top = [e for e in (entry(x) for x in sb) if e]
    chapters = [e for e in top if isinstance(list(e.values())[0], str) and list(e.values())[0] != 'index.md']
    sections = [e for e in top if isinstance(list(e.values())[0], list)]
    def flat(x): return [x] if isinstance(x, str) else [m for y in (x.values() if isinstance(x, dict) else x) for m in flat(y)]
    listed = set(flat(top))
    missing = [md for md in pages.meta if md not in listed]
    if missing: chapters += [{pages.meta[md]['title']: md} for md in missing]
    return [{'Home': 'index.md'}] + [{'Chapters': chapters}] + sections + [{'Reference': [{'Options and command line': 'options.md'}]}]


def _contents_md(nav, pages: Pages) -> str:
    "The home page's list of every page (title and summary), in nav order."
    out = ['', '## Contents', '']
    for e in nav[1:]:
        (sect, items), = e.items()
        out += [f'### {sect}', '']
        for it in items:
            (t, md), = it.items()
            d = pages.meta.get(md, {}).get('description', '')
            out.append(f'- [{t}]({md})' + (f' — {d}' if d else ''))
        out.append('')
    return '\n'.join(out)


_CSS = """
.md-grid { max-width: 88rem; }
.md-typeset .sd { border: 1px solid var(--md-default-fg-color--lightest); border-radius: 4px; padding: 0 1em .4em;
  margin: 1.2em 0; background: var(--md-code-bg-color); }
.md-typeset .sd .sd-source { float: right; font-size: .75em; margin-top: 1em; }
.md-typeset .sd h3.sd-name, .md-typeset .sd h4.sd-name { margin-top: .8em; font-family: var(--md-code-font-family); }
.md-typeset .sd table:not([class]) { font-size: .72rem; }
.md-typeset .sd table:not([class]) td:first-child { white-space: nowrap; }
.md-typeset .nb-summary { font-size: 1.05em; color: var(--md-default-fg-color--light); }
.md-typeset .nb-out pre { background: transparent; border-left: 3px solid var(--md-primary-fg-color--light); margin-top: -.4em; }
.md-typeset .nb-out pre > code { background: transparent; }
.md-typeset .nb-stderr pre, .md-typeset .nb-error pre { border-left-color: #e57373; }
.md-typeset .nb-html { overflow-x: auto; }
.md-typeset .nb-table table:not([class]) th, .md-typeset .nb-table table:not([class]) td { padding: .3em .9em; }
.md-typeset .opts td:first-child { white-space: nowrap; }
.md-typeset .opts td:nth-child(2) { min-width: 9em; }
.md-typeset img.nb-img { display: block; max-width: 100%; height: auto; }
.md-typeset details.nb-src { margin: .6em 0; }
.md-typeset .nb-skipped { font-size: .75em; color: var(--md-default-fg-color--light); margin-top: -.6em; }
.md-typeset mjx-container[display="true"] { overflow-x: auto; overflow-y: hidden; }
"""

_MATHJAX_CFG = """window.MathJax = {
  tex: {inlineMath: [["\\\\(", "\\\\)"]], displayMath: [["\\\\[", "\\\\]"]], processEscapes: true, processEnvironments: true},
  svg: {fontCache: "global"},
  options: {ignoreHtmlClass: ".*|", processHtmlClass: "arithmatex"}
};
if (window.document$) document$.subscribe(function () { if (window.MathJax && MathJax.typesetPromise) MathJax.typesetPromise(); });
"""


def convert(proc: Path, mathjax: Path | None):
    "All processed notebooks -> _build/site/*.md, the options page, assets and _build/mkdocs.yml."
    import yaml
    cfg = _cfg()
    if SITE_SRC.exists(): shutil.rmtree(SITE_SRC)
    SITE_SRC.mkdir(parents=True)
    pages = Pages(proc, cfg)
    nav = _nav_from_sidebar(pages)
    t = time.time()
    for rel, md in pages.md_of_nb.items():
        src_nb = json.loads((STAGE / rel).read_text(encoding='utf-8'))
        text = convert_nb(proc / rel, md, pages, cfg, src_nb)
        if md == 'index.md': text += _contents_md(nav, pages)
        (SITE_SRC / md).parent.mkdir(parents=True, exist_ok=True)
        (SITE_SRC / md).write_text(text, encoding='utf-8')
    (SITE_SRC / 'options.md').write_text(_options_page(), encoding='utf-8')
    _fix_anchors(pages)
    for p in proc.rglob('*'):                          # images referenced by markdown cells
        if p.is_file() and p.suffix.lower() in _ASSET_EXT:
            d = SITE_SRC / p.relative_to(proc); d.parent.mkdir(parents=True, exist_ok=True); shutil.copyfile(p, d)
    (SITE_SRC / 'assets').mkdir(exist_ok=True)
    (SITE_SRC / 'assets' / 'nb.css').write_text(_CSS)
    extra_js = []
    if mathjax:
        shutil.copyfile(mathjax, SITE_SRC / 'assets' / 'mathjax.js')
        (SITE_SRC / 'assets' / 'mathjax-config.js').write_text(_MATHJAX_CFG)
        extra_js = ['assets/mathjax-config.js', 'assets/mathjax.js']
    else: _log('WARNING: no MathJax copy given (--mathjax / $MATHJAX_JS): math stays as TeX source')
    mk = dict(site_name=cfg.title, site_description=cfg.description, docs_dir=str(SITE_SRC), site_dir=str(ROOT / cfg.doc_path.name),
              site_url=f"{cfg.doc_host.rstrip('/')}/{cfg.doc_baseurl.strip('/')}/",   # the error page (404.html) loads its CSS and JS from the base URL
              use_directory_urls=False, copyright=cfg.get('copyright', ''),
              theme=dict(name='material', font=False, features=['navigation.sections', 'navigation.top', 'toc.follow',
                                                                 'content.code.copy', 'search.highlight'],
                         palette=dict(scheme='default', primary='indigo', accent='indigo')),
              extra_css=['assets/nb.css'], extra_javascript=extra_js,
              markdown_extensions=['tables', 'attr_list', 'md_in_html', 'admonition', 'def_list', 'footnotes',
                                   {'toc': {'permalink': True}}, {'pymdownx.arithmatex': {'generic': True}},
                                   {'pymdownx.highlight': {'use_pygments': True}}, 'pymdownx.superfences', 'pymdownx.details'],
              plugins=['search'], nav=nav, validation=dict(omitted_files='warn', absolute_links='ignore', unrecognized_links='warn'))
    (BUILD / 'mkdocs.yml').write_text(yaml.safe_dump(mk, sort_keys=False, allow_unicode=True))
    _log(f'converted {len(pages.md_of_nb)} notebooks + the options page in {time.time() - t:.1f}s')
    return pages


# --------------------------------------------------------------------------------------------------- 4. render
def render(strict=False):
    cfg = _cfg()
    out = ROOT / cfg.doc_path.name
    if out.exists(): shutil.rmtree(out)
    t = time.time()
    cmd = [sys.executable, '-m', 'mkdocs', 'build', '-q', '-f', str(BUILD / 'mkdocs.yml')] + (['--strict'] if strict else [])
    r = subprocess.run(cmd, cwd=ROOT)
    if r.returncode: raise SystemExit(f'mkdocs build failed ({r.returncode})')
    _log(f'rendered {out.relative_to(ROOT)}/ with mkdocs-material in {time.time() - t:.1f}s')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--mathjax', default=os.environ.get('MATHJAX_JS'), help='local MathJax 3 tex-svg-full.js to ship with the site')
    ap.add_argument('--n-workers', type=int, default=0, help="proc_nbs workers (0: in this process; each worker imports torch)")
    ap.add_argument('--strict', action='store_true', help='mkdocs --strict (warnings fail the build)')
    ap.add_argument('--exclude', help='regex of notebooks (relative to nbs/) left out; a debugging aid: the checker then fails')
    ap.add_argument('--plan', action='store_true', help='only list the cells nbdev would execute beyond exports and imports')
    ap.add_argument('--reuse-proc', action='store_true', help='skip staging and processing: convert and render the existing _proc/')
    a = ap.parse_args(argv)
    os.chdir(ROOT)
    t = time.time()
    if a.reuse_proc: proc = ROOT / '_proc'
    else:
        plan = exec_plan()
        for nb, i, d, first in plan: _log(f'nbdev will execute {nb} cell {i} {d}: {first[:70]}')
        if a.plan: return 1 if plan else 0
        if plan: _log(f'WARNING: {len(plan)} cells hold imports and other code: nbdev runs them while processing (see --plan)')
        stage(a.exclude)
        proc = process(a.n_workers)
    convert(proc, Path(a.mathjax) if a.mathjax else None)
    render(a.strict)
    _log(f'built in {time.time() - t:.0f}s')


if __name__ == '__main__': main()
