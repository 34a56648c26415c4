"""The committed record of the embedded default (`metapeft` with no preset): its linear probe, defaults and
meta-learned runs at seeds 0-4, written to `metapeft_nb/assets/embedded_record.json`, where `metapeft` reads the
spread it prints. Resumable (finished runs are read back). Run it unloaded, with the thread count `metapeft` uses:

    python scripts/embedded_record.py [OUTPUT_DIR]      # default runs/embedded_record
"""
import json, platform, subprocess, sys, time
import torch
from metapeft_nb.experiment import embedded_record, record_path

t = time.time()
rec = embedded_record(range(5), output_dir=sys.argv[1] if len(sys.argv) > 1 else 'runs/embedded_record')
commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()
rec.update(commit=commit, torch=torch.__version__, machine=f'{platform.machine()}, {torch.get_num_threads()} threads, cpu',
           wall_s=round(time.time() - t, 1))
record_path().write_text(json.dumps(rec, indent=1) + '\n')
print(f'wrote {record_path()}')
