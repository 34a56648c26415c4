"""Execute a notebook's code cells in one fresh namespace with papermill-style parameters (for a machine without
papermill / Jupyter): the values given replace the `parameters`-tagged cell's, injected right after it.
usage: python run_nb.py NOTEBOOK PARAMS.yaml '{yaml overrides}'"""
import json, sys, types, yaml
nb, pfile, over = sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else '{}'
params = {**(yaml.safe_load(open(pfile)) or {}), **(yaml.safe_load(over) or {})}
try: import IPython.display  # noqa
except ImportError:   # a minimal stand-in for display/Markdown: print the text
    ip, disp = types.ModuleType('IPython'), types.ModuleType('IPython.display')
    disp.Markdown = lambda s: types.SimpleNamespace(text=s)
    disp.display = lambda *a, **k: [print(getattr(x, 'text', x)) for x in a]
    ip.display = disp; sys.modules['IPython'] = ip; sys.modules['IPython.display'] = disp
g = {'__name__': '__main__'}
for i, c in enumerate(json.load(open(nb))['cells']):
    if c['cell_type'] != 'code': continue
    exec(compile(''.join(c['source']), f'{nb}[cell {i}]', 'exec'), g)
    if 'parameters' in c.get('metadata', {}).get('tags', []): g.update(params)
