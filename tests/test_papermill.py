"Every parameter of every experiment and benchmark notebook is visible to papermill, with its type and its comment."
import ast
from pathlib import Path
import nbformat, papermill, pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for d in ('experiments', 'benchmarks') for p in (ROOT / 'nbs' / d).glob('*.ipynb') if p.name != 'index.ipynb')   # index: a section's page

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

def shown(nb) -> dict:
    "What an executed notebook shows: its rendered Markdown, its printed text and its number of figures."
    outs = [o for c in nb['cells'] if c['cell_type'] == 'code' for o in c.get('outputs', [])]
    return dict(markdown='\n'.join(str(o.get('data', {}).get('text/markdown', '')) for o in outs),
                printed='\n'.join(''.join(o.get('text', '')) for o in outs if o.get('output_type') == 'stream'),
                figures=sum('image/png' in o.get('data', {}) for o in outs))

def test_train_notebook_opts_merge_onto_the_presets(tmp_path, monkeypatch):
    """`opts: [num_epochs=2]` is merged onto the presets: the preset's meta-learning budget stays, and the output shows the
    meta steps taken, the results table once (rendered, not printed) and the figures; with `use_meta: false` (on the smoke
    budget) it says that nothing was learned instead of a table of 1.000s."""
    import json   # the kernel inherits conftest's offline, headless, quiet environment
    from metapeft_nb.config import get_config, load_config
    monkeypatch.delenv('IN_TEST', raising=False)   # nbdev's test flag, left by the notebook tests, would make the notebook tiny
    preset = get_config('digits_lt', 'timm_vit_tiny_test', 'lora', {'use_meta': True})
    for params, learns in ((dict(opts=['num_epochs=2']), True), (dict(smoke=True, use_meta=False), False)):
        out = tmp_path / f'learns_{learns}'; out.mkdir()
        nb = papermill.execute_notebook(str(ROOT / 'nbs' / 'experiments' / 'train.ipynb'), str(out / 'out.ipynb'),
                                        parameters=dict(params, out_dir=str(out / 'run')), cwd=str(tmp_path),
                                        progress_bar=False, log_output=False, kernel_name='python3')
        res = json.loads((out / 'run' / 'results.json').read_text())
        text = shown(nb)
        assert (res['meta']['steps'] == preset.meta_count) if learns else res['meta']['steps'] == 0, (learns, res['meta']['steps'])
        if learns: cfg = load_config(out / 'run' / 'config.yaml'); assert (cfg.num_epochs, cfg.meta_mode) == (2, preset.meta_mode), cfg
        assert (f"({res['meta']['steps']} meta steps)" in text['markdown']) == learns, text['markdown'][-500:]
        assert ('nothing was learned' in text['markdown']) != learns, text['markdown'][-500:]
        assert text['markdown'].count('| accuracy |') == 1 and '| accuracy |' not in text['printed'], text
        assert text['figures'] >= 1, text['figures']
