"""Run the benchmark notebook as parallel slices (one process per dataset/method/seed, sharing out_dir), then stop at
a deadline. usage: python bench.py PARAMS.yaml DEADLINE_EPOCH_S [workers] [extra yaml]"""
import os, subprocess, sys, time, yaml
pfile, deadline = sys.argv[1], float(sys.argv[2])
workers = int(sys.argv[3]) if len(sys.argv) > 3 else 16
extra = yaml.safe_load(sys.argv[4]) if len(sys.argv) > 4 else {}
P = {**yaml.safe_load(open(pfile)), **extra}
logs = 'runs/bench_logs'; os.makedirs(logs, exist_ok=True)
env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1'}
probe = [dict(datasets=[d], methods=[], seeds=[s]) for s in P['seeds'] for d in P['datasets']]
method = [dict(datasets=[d], methods=[m], seeds=[s]) for s in P['seeds'] for d in reversed(P['datasets']) for m in P['methods']]
def run_phase(slices, name):
    todo, running, t0 = list(slices), [], time.time()
    while todo or running:
        while todo and len(running) < workers:
            sl = todo.pop(0); tag = f"{name}_{sl['datasets'][0]}_{'-'.join(sl['methods']) or 'probe'}_s{sl['seeds'][0]}"
            f = open(f'{logs}/{tag}.log', 'w')
            running.append((tag, subprocess.Popen([sys.executable, 'scripts/run_nb.py', 'nbs/experiments/benchmark.ipynb', pfile,
                            yaml.safe_dump({**extra, **sl}, default_flow_style=True)], stdout=f, stderr=subprocess.STDOUT, env=env), time.time()))
        time.sleep(2)
        for r in list(running):
            tag, p, ts = r
            if p.poll() is not None:
                running.remove(r); print(f'{tag}: exit {p.returncode} after {time.time() - ts:.0f} s', flush=True)
        if time.time() > deadline:
            for tag, p, ts in running: p.kill(); print(f'{tag}: killed at the deadline', flush=True)
            print(f'deadline: {len(todo)} slices not started', flush=True); return False
    print(f'{name}: {len(slices)} slices in {time.time() - t0:.0f} s', flush=True); return True
sys.exit(0 if run_phase(probe, 'probe') and run_phase(method, 'method') else 4)
