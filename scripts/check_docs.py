"""Check the built docs site in `_docs/` (run by scripts/docs.sh after the build; exit status 1 on any failure).

    .venv/bin/python scripts/check_docs.py [--require-outputs] [--site DIR] [--nbs DIR]

Checks:
1. every notebook (nbs/**/*.ipynb, no path part starting with `_` or `.`) has its page (nbdev's page name);
2. every function and class in the `__all__` of every `metapeft_nb` module has a `show_doc` entry on some page
   (`data-sym="module.name"`); every other `__all__` name (constants) is named on its module's page;
3. every figure (image/png or image/jpeg output of a shown cell of the notebook that was rendered: the executed copy
   when there was a fresh one) is an <img> on its page (matched by content hash);
4. no page holds a leaked directive (a line starting with `#|` in code, or `#|` in text outside inline code), a
   `show_doc(` call, a quarto `{target=...}` attribute, an `In [ ]:` prompt, the raw YAML frontmatter, or a
   <script>/<link rel=stylesheet> (or CSS `@import`/`url()`) loaded over http(s); no output block over 40 lines or
   4,000 characters unless collapsed (<details>), no printed pipe table (3 lines starting with `|` in an output), no
   wall of progress bars (3 tqdm lines in an output), no page text with a temporary or build-machine path (`/tmp/`,
   `/root/`, `site-packages`), a warning (`Warning:`, `FutureWarning`) or a widget's repr (`VBox(children=`);
5. the home page (from nbs/index.ipynb) links every chapter page (the notebooks directly in nbs/);
6. internal links resolve (file and, for `#anchor`, the id); pages with math load the local MathJax;
   the options page lists every `Config` option and the `metapeft` usage.
With `--require-outputs`, a notebook rendered without a fresh executed copy (so without outputs) is a failure too.
"""
import argparse, base64, hashlib, importlib, inspect, json, pkgutil, re, sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, unquote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'scripts'))


class Page(HTMLParser):
    "What the checks need from one HTML page."
    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.ids, self.links, self.imgs, self.syms, self.scripts, self.styles = set(), [], [], [], [], []
        self.pre, self.code_text, self.text, self.stack, self.cls = [], [], [], [], []
        self.outputs = []                      # [text, collapsed]: the output blocks (a <pre> inside an .nb-out element)
        self.feed(text)
        self.full_text = ''.join(self.text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if 'id' in a: self.ids.add(a['id'])
        if tag == 'a' and 'href' in a: self.links.append(a['href'])
        if tag == 'img': self.imgs.append(a.get('src', ''))
        if a.get('data-sym'): self.syms.append(a['data-sym'])
        if tag == 'script': self.scripts.append(a.get('src') or '')
        if tag == 'link' and 'stylesheet' in (a.get('rel') or '').split(): self.styles.append(a.get('href') or '')
        if tag not in ('img', 'br', 'hr', 'meta', 'link', 'input'): self.stack.append(tag); self.cls.append((a.get('class') or '').split())
        if tag == 'pre':
            self.pre.append('')
            if any('nb-out' in c for c in self.cls): self.outputs.append(['', 'details' in self.stack])

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and (self.cls.pop(), self.stack.pop())[1] != tag: pass

    def handle_data(self, data):
        if 'script' in self.stack or 'style' in self.stack: return
        if 'pre' in self.stack:
            self.pre[-1] += data
            if self.outputs and any('nb-out' in c for c in self.cls): self.outputs[-1][0] += data
        elif 'code' in self.stack: self.code_text.append(data)
        else: self.text.append(data)


def nb_files(nbs):
    return [p for p in sorted(nbs.rglob('*.ipynb')) if not any(x.startswith(('_', '.')) for x in p.relative_to(nbs).parts)]


def page_of(rel: Path) -> Path:
    from nbdev.doclinks import _nbpath2html
    return _nbpath2html(rel)


def _src(c): return ''.join(c['source']) if isinstance(c['source'], list) else c['source']


def _shown(cell) -> bool:
    "Does the docs page show this cell's outputs? (`#| hide`, `include: false`, `output: false`, export cells: no)"
    d = {}
    for l in _src(cell).splitlines():
        m = re.match(r'^\s*#\|\s*([\w-]+)\s*:?\s*(.*)$', l)
        if not m:
            if l.strip(): break
            continue
        d[m.group(1)] = m.group(2).strip()
    if {'hide', 'export', 'exporti', 'default_exp'} & set(d): return False
    return d.get('include', 'true').lower() != 'false' and d.get('output', 'true').lower() != 'false'


def figures(nb: dict):
    "sha1[:16] of every figure output of the shown cells of `nb`."
    out = []
    for c in nb['cells']:
        if c['cell_type'] != 'code' or not _shown(c): continue
        for o in c.get('outputs', []):
            for k, ext in (('image/png', 'png'), ('image/jpeg', 'jpg')):
                if k in o.get('data', {}):
                    raw = base64.b64decode(''.join(o['data'][k]).replace('\n', ''))
                    out.append(hashlib.sha1(raw).hexdigest()[:16] + '.' + ext)
                    break
    return out


LEAKS = ('/tmp/', '/root/', 'site-packages', 'Warning:', 'FutureWarning', 'VBox(children=', 'HBox(children=')
_BAR = re.compile(r'\d+%\|.*\|\s*\d+/\d+')                # a tqdm progress bar line


def clean_output_defects(pg: Page, everything: str) -> list:
    "(what, example) for each defect a reader should not see: a long output not collapsed, a printed pipe table, a progress-bar wall, a leak."
    out = []
    for text, collapsed in pg.outputs:
        lines = text.splitlines()
        if not collapsed and (len(lines) > 40 or len(text) > 4000): out.append((f'an output of {len(lines)} lines / {len(text)} characters not collapsed', lines[0]))
        for i in range(len(lines) - 2):
            if all(l.lstrip().startswith('|') for l in lines[i:i + 3]): out.append(('a printed pipe table, not rendered as a table', lines[i])); break
        bars = [l for l in re.split(r'[\r\n]', text) if _BAR.search(l)]
        if len(bars) >= 3: out.append((f'a wall of {len(bars)} progress-bar lines', bars[0]))
    out += [(f'page text with {bad!r}', everything[max(0, everything.index(bad) - 40):everything.index(bad) + 40]) for bad in LEAKS if bad in everything]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description='Check the built docs site.')
    ap.add_argument('--require-outputs', action='store_true', help='fail when a notebook was rendered without outputs')
    ap.add_argument('--site', type=Path, help="the built site to check (default: settings.ini's doc_path)")
    ap.add_argument('--nbs', type=Path, help="the notebooks it was built from (default: settings.ini's nbs_path)")
    a = ap.parse_args(argv)
    from nbdev.config import get_config
    from nbexec import is_fresh, notebooks as test_notebooks
    cfg = get_config(path=ROOT)
    nbs, docs = a.nbs or cfg.nbs_path, a.site or ROOT / cfg.doc_path.name
    fails, warns = [], []
    def fail(m): fails.append(m)
    if not docs.is_dir(): print(f'check_docs: {docs} does not exist: build it first (bash scripts/docs.sh)'); return 1

    pages = {p.relative_to(docs).as_posix(): p for p in docs.rglob('*.html')}
    parsed = {k: Page(p.read_text(encoding='utf-8')) for k, p in pages.items()}

    # 1. one page per notebook
    notebooks = nb_files(nbs)
    nb_page = {}
    for p in notebooks:
        rel = p.relative_to(nbs)
        pg = page_of(rel).as_posix()
        nb_page[rel.as_posix()] = pg
        if pg not in pages: fail(f'no page {pg} for notebook nbs/{rel}')

    # 1b. a first markdown cell holds the title and the summary alone (nbdev drops whatever else it holds from the page)
    for p in notebooks:
        md = next((c for c in json.loads(p.read_text(encoding='utf-8'))['cells'] if c['cell_type'] == 'markdown'), None)
        extra = [l for l in _src(md).splitlines() if l.strip() and not l.startswith(('# ', '>'))] if md else []
        if extra: fail(f'nbs/{p.relative_to(nbs)}: its first markdown cell holds more than the title and the summary ({extra[0][:60]!r}...), '
                       'which the page would lose: move it to a cell of its own')

    # 2. show_doc entries for every __all__ symbol
    import metapeft_nb
    syms_on_pages = {s for pg in parsed.values() for s in pg.syms}
    mod_page = {}
    for p in notebooks:
        for c in json.loads(p.read_text(encoding='utf-8'))['cells']:
            m = re.search(r'^\s*#\|\s*default_exp\s+(\S+)', _src(c), re.M) if c['cell_type'] == 'code' else None
            if m: mod_page[f'{cfg.lib_name}.{m.group(1)}'] = nb_page[p.relative_to(nbs).as_posix()]; break
    n_callables = n_consts = 0
    for mi in pkgutil.walk_packages(metapeft_nb.__path__, 'metapeft_nb.'):
        if mi.name.split('.')[-1].startswith('_'): continue
        try: mod = importlib.import_module(mi.name)
        except Exception as e: fail(f'cannot import {mi.name}: {type(e).__name__}: {e}'); continue
        for name in getattr(mod, '__all__', []):
            obj = getattr(mod, name, None)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                n_callables += 1
                if f'{mi.name}.{name}' not in syms_on_pages: fail(f'no show_doc entry for {mi.name}.{name}')
            else:
                n_consts += 1
                pg = mod_page.get(mi.name)
                txt = parsed[pg].full_text + ' '.join(parsed[pg].code_text) + ' ' + '\n'.join(parsed[pg].pre) if pg in parsed else ''
                if not re.search(rf'\b{re.escape(name)}\b', txt): fail(f'{mi.name}.{name} (not a function or class) is not named on {pg}')

    # 3. figures
    n_fig, no_outputs = 0, []
    for p in notebooks:
        rel = p.relative_to(nbs).as_posix()
        e = ROOT / '_exec' / rel
        if not (e.exists() and is_fresh(e, p)): no_outputs.append(rel); continue
        pg = nb_page[rel]
        imgs = {Path(unquote(s)).name for s in parsed[pg].imgs} if pg in parsed else set()
        for f in figures(json.loads(e.read_text(encoding='utf-8'))):
            n_fig += 1
            if f not in imgs: fail(f'figure {f} of nbs/{rel} is not an <img> on {pg}')
    tested = {q.relative_to(nbs).as_posix() for q in test_notebooks(nbs)}   # a .notest folder's notebooks are never executed
    untested = [r for r in no_outputs if r not in tested]
    if untested: warns.append(f'{len(untested)} notebooks that the tests do not run are rendered without outputs: ' + ', '.join(untested))
    no_outputs = [r for r in no_outputs if r in tested]
    if no_outputs:
        (fail if a.require_outputs else warns.append)(
            f'{len(no_outputs)} notebooks rendered without outputs (no fresh executed copy in _exec/: run the tests, '
            f'or docs.sh --exec): ' + ', '.join(no_outputs))

    # 4. leaks and remote assets
    remote = re.compile(r'^(https?:)?//', re.I)
    for k, pg in parsed.items():
        raw = pages[k].read_text(encoding='utf-8')
        body = pg.full_text
        for pre in pg.pre:
            for l in pre.splitlines():
                if l.lstrip().startswith('#|'): fail(f'{k}: directive in a code block: {l.strip()[:80]}'); break
        if '#|' in body: fail(f'{k}: "#|" in the text: ...{body[body.index("#|") - 30:body.index("#|") + 30]!r}...')
        everything = body + ' ' + ' '.join(pg.code_text) + '\n' + '\n'.join(pg.pre)
        for bad, what in (('show_doc(', 'a show_doc( call'), ('{target=', 'a quarto {target=...} attribute')):
            if bad in everything: fail(f'{k}: {what}')
        if re.search(r'\bIn \[\s*\d*\s*\]:', everything): fail(f'{k}: an "In [ ]:" prompt')
        if ':NoneType=None' in everything: fail(f'{k}: a signature shows NoneType for an untyped None default')
        if re.search(r'---\s*\ntitle:', everything) or re.search(r'<hr\s*/?>\s*<p>\s*(title|output-file|description):', raw) \
                or 'output-file:' in everything: fail(f'{k}: raw YAML frontmatter')
        for s in pg.scripts:
            if remote.match(s): fail(f'{k}: <script src="{s}"> loads from the web')
        for s in pg.styles:
            if remote.match(s): fail(f'{k}: stylesheet "{s}" loads from the web')
        if re.search(r'@import\s+url\(\s*["\']?(https?:)?//|<link[^>]+rel="?(preconnect|preload)[^>]+href="?(https?:)?//', raw, re.I):
            fail(f'{k}: loads a remote font or stylesheet')
        for what, bad in clean_output_defects(pg, everything): fail(f'{k}: {what}: {bad[:100]!r}')
    for css in docs.rglob('*.css'):
        t = css.read_text(encoding='utf-8', errors='replace')
        if re.search(r'@import\s+(url\()?\s*["\']?(https?:)?//', t): fail(f'{css.relative_to(docs)}: @import from the web')

    # 5. the home page links every chapter
    home = parsed.get('index.html')
    chapters = [nb_page[r] for r in nb_page if '/' not in r and r != 'index.ipynb']
    if home is None: fail('no home page index.html')
    else:
        linked = {urldefrag(h)[0] for h in home.links}
        for c in chapters:
            if c not in linked: fail(f'the home page does not link the chapter {c}')

    # 6. internal links, local math, options page
    n_links = 0
    for k, pg in parsed.items():
        if k == '404.html':                            # mkdocs' error page is served at any depth: its assets come from the base URL
            base = '/' + cfg.doc_baseurl.strip('/') + '/'
            for u in re.findall(r'(?:href|src)="([^"]+\.(?:css|js))"', (docs / k).read_text(encoding='utf-8')):
                if not u.startswith(('http', base)): fail(f'404.html loads {u}, outside the base URL {base}: the error page would come unstyled')
            continue
        for h in pg.links:
            if remote.match(h) or h.startswith(('mailto:', 'javascript:')) or h in ('', '#'): continue
            url, frag = urldefrag(h)
            target = (pages[k].parent / unquote(url)).resolve() if url else pages[k]
            n_links += 1
            try: rel_t = target.relative_to(docs.resolve()).as_posix()
            except ValueError: fail(f'{k}: link {h} leaves the site'); continue
            if target.is_dir(): rel_t = (target / 'index.html').relative_to(docs.resolve()).as_posix()
            if rel_t not in parsed and not target.exists(): fail(f'{k}: broken link {h}'); continue
            if frag and rel_t in parsed and unquote(frag) not in parsed[rel_t].ids: fail(f'{k}: link {h}: no id "{frag}" on {rel_t}')
        if 'arithmatex' in pages[k].read_text(encoding='utf-8'):
            js = [s for s in pg.scripts if s.endswith('mathjax.js')]
            if not js or not (pages[k].parent / js[0]).exists(): fail(f'{k}: has math but no local MathJax script')
    opt = parsed.get('options.html')
    if opt is None: fail('no options page options.html')
    else:
        import dataclasses
        from metapeft_nb.config import Config
        txt = opt.full_text + ' ' + ' '.join(opt.code_text) + '\n' + '\n'.join(opt.pre)
        missing = [f.name for f in dataclasses.fields(Config) if not re.search(rf'\b{re.escape(f.name)}\b', txt)]
        if missing: fail(f'options.html misses the options {missing}')
        if 'usage: metapeft' not in txt: fail('options.html has no `metapeft --help` text')

    n_sd = sum(len(pg.syms) for pg in parsed.values())
    print(f'check_docs: {len(pages)} pages for {len(notebooks)} notebooks; {n_sd} show_doc entries covering '
          f'{n_callables} exported functions/classes (+{n_consts} constants); {n_fig} figures; {n_links} internal links; '
          f'{len(notebooks) - len(no_outputs)}/{len(notebooks)} notebooks with outputs')
    for w in warns: print(f'check_docs: warning: {w}')
    for f in fails: print(f'check_docs: FAIL: {f}')
    print(f'check_docs: {"OK" if not fails else f"{len(fails)} failures"}')
    return 1 if fails else 0


if __name__ == '__main__': sys.exit(main())
