"""The built docs site as a reader meets it (after `tests/test_readme.py` has built it with `bash scripts/docs.sh`).

- `check_docs.py` catches each defect a reader should not see: each is injected into a copy of the built site (or, for
  the notebook-level one, of the notebooks) and the checker must exit 1 naming it;
- a real browser: Debian's Chromium driven by Playwright's Python package (no browser download), over HTTP under the
  configured base URL, opens the home page, an API page, the speed benchmark, the quickstart and the widgets page and
  finds no console error, no request to another host, the tables and figures present, wide tables inside a scroll
  container, and the error page styled.

Outside CI these skip when the site, Playwright or Chromium is missing; under `CI=true` they fail instead.
"""
import functools, json, os, shutil, subprocess, sys, threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE, CHROMIUM = ROOT / '_docs', Path(os.environ.get('METAPEFT_CHROMIUM') or shutil.which('chromium') or '/usr/bin/chromium')
BASE = '/metapeft_nb/'          # settings.ini's doc_baseurl
PAGES = ['index.html', 'config.html', 'benchmarks/index.html', 'benchmarks/speed.html', 'tutorials/quickstart.html', 'widgets.html']

def _missing(why: str):
    if os.environ.get('CI') == 'true': pytest.fail(f'{why} (CI=true: the docs checks must run)')
    pytest.skip(why)

@pytest.fixture(scope='module')
def site():
    if not (SITE / 'index.html').exists(): _missing('no built site in _docs/ (bash scripts/docs.sh builds it)')
    return SITE

def _copy(src: Path, dst: Path, only=None) -> Path:
    "A copy of the folder `src` (of its `only` files, where given: the notebooks of nbs/, not its records)."
    def skip(d, names): return [n for n in names if n in ('runs', '.ipynb_checkpoints') or (only and Path(d, n).is_file() and not n.endswith(only))]
    shutil.copytree(src, dst, ignore=skip)
    return dst

def _check(site: Path, nbs: Path):
    r = subprocess.run([sys.executable, 'scripts/check_docs.py', '--site', str(site), '--nbs', str(nbs)], cwd=ROOT, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr

def test_check_docs_names_each_injected_defect(site, tmp_path):
    s, nbs = _copy(site, tmp_path / 'site'), _copy(ROOT / 'nbs', tmp_path / 'nbs', only='.ipynb')
    status, out = _check(s, nbs)
    assert status == 0, out[-3000:]                              # the built site is clean: what follows is the injections' doing
    out_block = lambda body: f'<div class="nb-out"><pre><code>{body}</code></pre></div>'
    bar = '\n'.join(f' {p}%|###       | {p}/100 [00:01&lt;00:02, 9.9it/s]' for p in (10, 20, 30))
    defects = {'io.html': out_block('| a | b |\n| --- | --- |\n| 1 | 2 |'),                    # a printed pipe table
               'evaluate.html': out_block('saved to /tmp/tmpabc123/run'),                       # a temporary path
               'widgets.html': out_block('VBox(children=(HBox(children=(Text(value=x),)),))'),  # a widget's repr
               'data.longtail.html': out_block(bar),                                             # a progress-bar wall
               'run.html': out_block('\n'.join(f'line {i}' for i in range(60)))}                 # a long output, not collapsed
    for page, html in defects.items():
        p = s / page; p.write_text(p.read_text(encoding='utf-8').replace('</article>', html + '</article>', 1), encoding='utf-8')
    p = s / '404.html'; p.write_text(p.read_text(encoding='utf-8').replace(f'href="{BASE}assets/stylesheets/', 'href="/assets/stylesheets/'), encoding='utf-8')
    nb = nbs / '00_io.ipynb'; d = json.loads(nb.read_text(encoding='utf-8'))                                           # prose in the first cell
    first = next(c for c in d['cells'] if c['cell_type'] == 'markdown')
    first['source'] = ''.join(first['source']) + '\n\nA paragraph the page would lose.'
    nb.write_text(json.dumps(d), encoding='utf-8')
    status, out = _check(s, nbs)
    assert status == 1, out[-3000:]
    fails = [l for l in out.splitlines() if 'FAIL' in l]
    for page, what in [('io.html', 'printed pipe table'), ('evaluate.html', "'/tmp/'"), ('widgets.html', "'VBox(children='"),
                       ('data.longtail.html', 'progress-bar lines'), ('run.html', 'not collapsed'), ('404.html', 'outside the base URL'),
                       ('00_io.ipynb', 'more than the title and the summary')]:
        assert any(page in l and what in l for l in fails), (page, what, fails)


class _Site(SimpleHTTPRequestHandler):
    "The site under BASE, as GitHub Pages serves it: a missing path gets 404.html with status 404."
    def translate_path(self, path):
        rel = path.split('?')[0].split('#')[0]
        return str(SITE / rel[len(BASE):]) if rel.startswith(BASE) else str(SITE / '__outside__')
    def send_error(self, code, message=None, explain=None):
        if code != 404: return super().send_error(code, message, explain)
        body = (SITE / '404.html').read_bytes()
        self.send_response(404); self.send_header('Content-Type', 'text/html; charset=utf-8'); self.send_header('Content-Length', str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass

@pytest.fixture(scope='module')
def browser(site):
    try: from playwright.sync_api import sync_playwright
    except ImportError: _missing("Playwright's Python package is missing (the docs extra: pip install -e '.[docs]')")
    if not CHROMIUM.exists(): _missing(f'no Chromium at {CHROMIUM} (Debian: apt-get install chromium; or set METAPEFT_CHROMIUM)')
    server = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Site, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM),
                               args=['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'])
        yield b, f'http://127.0.0.1:{server.server_address[1]}{BASE}'
        b.close()
    server.shutdown()

def _open(browser, url):
    "Load `url`; return the page, its console errors (a failed load of a page's own resource among them) and the hosts it requested."
    b, _ = browser
    page = b.new_page(viewport=dict(width=1280, height=900))
    errors, hosts = [], set()
    page.on('console', lambda m: errors.append(m.text) if m.type == 'error' and 'Failed to load resource' not in m.text else None)
    page.on('pageerror', lambda e: errors.append(str(e)))
    page.on('request', lambda r: hosts.add(r.url.split('/')[2]) if r.url.startswith('http') else None)
    page.on('response', lambda r: errors.append(f'{r.status} {r.url}') if r.status >= 400 and r.url != url else None)
    page.goto(url, wait_until='networkidle')
    return page, errors, hosts

@pytest.mark.parametrize('path', PAGES)
def test_page_in_a_browser(browser, path):
    page, errors, hosts = _open(browser, browser[1] + path)
    here = browser[1].split('/')[2]
    assert not errors, (path, errors)
    assert hosts == {here}, (path, hosts - {here})
    assert page.locator('article h1').count() == 1, path
    # every table wider than the text column sits in a container that scrolls it, inside the content area (not under the TOC)
    unscrolled = page.evaluate('''() => [...document.querySelectorAll('article table')].filter(t => {
        const col = document.querySelector('article').clientWidth, right = document.querySelector('.md-content').getBoundingClientRect().right;
        if (t.scrollWidth <= col) return false;
        for (let e = t.parentElement; e && e.tagName !== 'ARTICLE'; e = e.parentElement)
            if (['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.getBoundingClientRect().right <= right + 1) return false;
        return true; }).length''')
    assert unscrolled == 0, (path, unscrolled)
    broken = page.evaluate("() => [...document.querySelectorAll('article img')].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
    assert not broken, (path, broken)
    tables, figures = page.locator('article table').count(), page.locator('article img').count()
    if path in ('benchmarks/speed.html', 'tutorials/quickstart.html'): assert tables >= 4, (path, tables)
    if path == 'tutorials/quickstart.html': assert figures >= 1, (path, figures)
    if path == 'index.html': assert page.locator('article a[href]').count() > 20, path
    page.close()

def test_error_page_is_styled(browser):
    page, errors, hosts = _open(browser, browser[1] + 'no/such/page/')
    assert not errors, errors
    sheets = page.evaluate('() => [...document.styleSheets].filter(s => s.href).length')
    header = page.evaluate("() => { const h = document.querySelector('.md-header'); return h ? getComputedStyle(h).position : null }")
    assert sheets >= 1 and header in ('sticky', 'fixed'), (sheets, header)      # material's header only looks so with its CSS
    assert '404' in page.locator('article').inner_text()
    page.close()
