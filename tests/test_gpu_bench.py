"scripts/gpu_bench.py runs at tiny size on the CPU and writes a record for every arm it was given."
import json, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def test_gpu_bench_tiny_on_cpu(tmp_path):
    out = tmp_path / 'gpu_bench.json'
    arms = 'lora,adaptformer,flora,vpt_deep,lora+meta,stack'
    p = subprocess.run([sys.executable, str(ROOT / 'scripts' / 'gpu_bench.py'), '--model', 'clip_vit_tiny_test', '--batch', '4',
                        '--steps', '3', '--device', 'cpu', '--precision', 'fp32', '--stack', '2', '--arms', arms, '--out', str(out)],
                       capture_output=True, text=True, timeout=600, cwd=ROOT, env={**os.environ, 'HF_HUB_OFFLINE': '1'})
    assert p.returncode == 0, p.stderr[-3000:]
    rec = json.loads(out.read_text())
    assert list(rec['arms']) == arms.split(',') and rec['peak_flops'] is None and 'peak unknown' in p.stdout
    for name, r in rec['arms'].items():
        assert r['flops_per_image'] > 0 and r['peak_memory_mib'] > 0, name
    assert all(rec['arms'][a]['images_per_s'] > 0 for a in ('lora', 'adaptformer', 'flora', 'vpt_deep', 'stack'))
    meta = rec['arms']['lora+meta']   # times are reported, never judged here (a shared machine)
    assert meta['meta_step_s'] > 0 and meta['plain_step_s'] > 0 and meta['meta_step_in_plain_steps'] == meta['meta_step_s'] / meta['plain_step_s']
    assert rec['arms']['vpt_deep']['flops_per_image'] > rec['arms']['lora']['flops_per_image']   # prompts lengthen the sequence

def test_gpu_bench_deadline_stops_before_the_next_arm(tmp_path):
    out = tmp_path / 'gpu_bench.json'
    p = subprocess.run([sys.executable, str(ROOT / 'scripts' / 'gpu_bench.py'), '--model', 'clip_vit_tiny_test', '--batch', '2',
                        '--steps', '2', '--device', 'cpu', '--precision', 'fp32', '--deadline', '0', '--out', str(out)],
                       capture_output=True, text=True, timeout=600, cwd=ROOT, env={**os.environ, 'HF_HUB_OFFLINE': '1'})
    assert p.returncode == 0, p.stderr[-3000:]
    assert 'deadline: lora and the arms after it not measured' in p.stdout and not out.exists()
