"""Run every notebook under `nbs/` as a test (the cells flagged in settings.ini's `tst_flags` are skipped).

Extra flags to run: `METAPEFT_TEST_FLAGS="slow cuda" python -m pytest tests`.
All notebooks run in this one process (torch is imported once), so after each notebook the global state a
notebook could leak (torch defaults and backend flags, environment, working directory, model registries) is
compared with what it was before: a notebook that changes it fails, and the state is restored for the next.
"""
import os, sys
from pathlib import Path
import pytest, torch
import timm, open_clip, sklearn.linear_model  # noqa: F401 (imported before any snapshot: importing them sets environment variables)
import lightning  # noqa: F401 (the dev extra's; it sets PYTORCH_NVML_BASED_CUDA_CHECK when imported)
from nbdev.config import get_config

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
sys.path.insert(0, str(ROOT / 'scripts'))
from nbexec import run_and_save   # nbdev's test_nb, keeping the executed notebook (untracked, _exec/) for scripts/docs.sh

def _skipped_folder(p: Path) -> bool:
    "A `.notest` file skips its folder and everything below it (as nbdev_test does)."
    return any((d / '.notest').exists() for d in p.parents if d == NBS or NBS in d.parents)

def notebooks():
    out = []
    for p in sorted(NBS.rglob('*.ipynb')):
        rel = p.relative_to(NBS)
        if any(part.startswith(('_', '.')) for part in rel.parts) or _skipped_folder(p): continue
        out.append(rel)
    return out

def _registries():
    regs = {}
    try:
        import timm; regs['timm'] = len(timm.list_models())
    except ImportError: pass
    try:
        import open_clip; regs['open_clip'] = tuple(sorted(open_clip.list_models()))
    except ImportError: pass
    return regs

_VOLATILE_ENV = {'IN_TEST', 'PYTEST_CURRENT_TEST',   # set by nbdev's test_nb and by pytest themselves
                 '_TORCHINDUCTOR_PYOBJECT_TENSOR_DATA_PTR'}   # set once by torch.compile's inductor, for the process

def global_state() -> dict:
    "What one notebook must not change for the next."
    b = torch.backends
    return dict(default_dtype=torch.get_default_dtype(), num_threads=torch.get_num_threads(),
                deterministic=torch.are_deterministic_algorithms_enabled(), grad_enabled=torch.is_grad_enabled(),
                flash_sdp=b.cuda.flash_sdp_enabled(), mem_efficient_sdp=b.cuda.mem_efficient_sdp_enabled(),
                math_sdp=b.cuda.math_sdp_enabled(), cudnn_deterministic=b.cudnn.deterministic,
                cudnn_benchmark=b.cudnn.benchmark, matmul_precision=torch.get_float32_matmul_precision(),
                anomaly=torch.is_anomaly_enabled(), cwd=os.getcwd(),
                environ={k: v for k, v in os.environ.items() if k not in _VOLATILE_ENV}, **_registries())

def restore(s: dict):
    b = torch.backends
    torch.set_default_dtype(s['default_dtype']); torch.set_num_threads(s['num_threads'])
    torch.use_deterministic_algorithms(s['deterministic']); torch.set_grad_enabled(s['grad_enabled'])
    b.cuda.enable_flash_sdp(s['flash_sdp']); b.cuda.enable_mem_efficient_sdp(s['mem_efficient_sdp'])
    b.cuda.enable_math_sdp(s['math_sdp']); b.cudnn.deterministic = s['cudnn_deterministic']
    b.cudnn.benchmark = s['cudnn_benchmark']; torch.set_float32_matmul_precision(s['matmul_precision'])
    torch.set_anomaly_enabled(s['anomaly']); os.chdir(s['cwd'])
    keep = {k: os.environ[k] for k in _VOLATILE_ENV if k in os.environ}
    os.environ.clear(); os.environ.update({**s['environ'], **keep})

def _flags():
    skip = get_config().tst_flags.split()
    run = os.environ.get('METAPEFT_TEST_FLAGS', '').split()
    return [f for f in skip if f not in run]

@pytest.mark.parametrize('nb', notebooks(), ids=str)
def test_notebook(nb):
    before = global_state()
    ok, secs = run_and_save(NBS / nb, skip_flags=_flags(), basepath=ROOT, save_to=ROOT / '_exec' / nb)
    after = global_state()
    changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
    restore(before)
    assert ok, f'{nb} failed (traceback above)'
    if 'environ' in changed:
        a, b = changed['environ']
        changed['environ'] = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k)), 'changed'
    assert not changed, f'{nb} left global state changed: ' + '; '.join(f'{k}: {a!r} -> {b!r}' for k, (a, b) in changed.items())
