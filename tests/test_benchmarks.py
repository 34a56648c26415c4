"""The speed benchmark runs end to end at the tiny size through papermill, and its JSON record holds every arm
with positive times and the ratios it should have (`nbs/benchmarks` is skipped by the notebook test run)."""
import importlib.util, json
from pathlib import Path
import papermill

ROOT = Path(__file__).resolve().parents[1]
SPEED = ROOT / 'nbs' / 'benchmarks' / 'speed.ipynb'
METHODS = ['lora', 'adaptformer', 'flora', 'vpt_deep']
PLAIN = ['forward', 'forward_lib', 'floor', 'floor_lib']
STEPS = [*METHODS, 'lora_fwd_bwd', 'lora_meta', 'fine_tuning', 'peft_lora']
INFERENCE = ['lora_forward', 'merged']

def run_speed(tmp_path) -> dict:
    out = tmp_path / 'speed.json'
    params = dict(size='tiny', steps=3, warmup=1, memory='lora', profile_steps=2, out=str(out))
    papermill.execute_notebook(str(SPEED), str(tmp_path / 'speed.ipynb'), parameters=params, kernel_name='python3',
                               cwd=str(ROOT), progress_bar=False)
    return json.loads(out.read_text())

def test_speed_tiny(tmp_path):
    rec = run_speed(tmp_path)
    assert (rec['size'], rec['steps'], rec['methods']) == ('tiny', 3, METHODS)
    bb = rec['backbones']['vit_tiny_c10']
    has_peft = importlib.util.find_spec('peft') is not None
    want = [a for a in PLAIN + STEPS + INFERENCE if has_peft or a != 'peft_lora']
    assert list(bb['arms']) == want
    assert ('peft_lora' in bb['skipped']) == (not has_peft)
    for name, a in bb['arms'].items():
        assert len(a['times_s']) == 3 and all(t > 0 for t in a['times_s']), name
        assert 0 < a['time_s']['q1'] <= a['time_s']['median'] <= a['time_s']['q3'], name
        refs = {'floor', 'forward', 'fine_tuning', 'lora', 'lora_forward'} - {name}
        assert refs <= set(a['ratio']), (name, sorted(a['ratio']))
        assert all(q['median'] > 0 for q in a['ratio'].values()), name
    assert bb['arms']['fine_tuning']['trainable'] > bb['arms']['lora']['trainable'] > 0
    if has_peft:
        assert 'peft_lora' in bb['arms']['lora']['ratio']
        assert bb['checks']['peft_lora_max_abs_diff'] < 1e-4
    assert bb['checks']['merged_peft_modules'] == 0 and bb['checks']['merged_max_abs_diff'] < 1e-4
    m = bb['arms']['lora']['memory']   # one fresh process (each takes ~15 s here)
    assert m['peak_mib'] > 0 and m['step_mib'] >= 0 and m['rss_reset'] in (True, False)
    assert 'memory' not in bb['arms']['floor']
    targets = {t['name']: t for t in bb['targets']}
    assert len(targets) == 3 + has_peft
    assert all(isinstance(t['met'], bool) for t in targets.values() if t['bound'] is not None)
    profile = Path(rec['profile'])
    assert profile.parent == tmp_path and 'aten::' in profile.read_text()
