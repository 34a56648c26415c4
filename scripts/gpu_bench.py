"""Training throughput of the package's PEFT steps on one device, per arm: images/s, FLOPs per image, the fraction of
the device's dense bf16 peak, peak memory. Random weights and random 224-px images: nothing is downloaded or read.

usage: python scripts/gpu_bench.py [--model clip_vit_b16] [--batch 64] [--steps 20] [--deadline 480] [--out FILE]
                                  [--device cuda] [--precision bf16] [--arms lora,adaptformer,...] [--stack 8]

Arms, in this order (a deadline in seconds stops before the next arm, so a short GPU session still records the first):
lora, adaptformer, flora, vpt_deep (plain steps: `train.train_step`), then `lora+meta` (one unrolled K = 1 meta step,
`meta.bilevel.meta_step`, timed on its own and reported in plain steps), then `stack` (`many.ArmStack`: N LoRA arms
stacked, against N plain steps one after the other), then `lora+compile` (the training forward through `torch.compile`). FLOPs are counted per arm by `torch.utils.flop_counter` over one
plain step (forward and backward); the fraction of peak is FLOPs/image x images/s over the peak printed at the start.
Each arm's record is written to `--out` (JSON) as soon as it is measured. The tests run it on the CPU at tiny size.
"""
import argparse, json, time
from pathlib import Path
from types import SimpleNamespace
import torch
import torch.nn.functional as F

PEAK_BF16 = {'H200': 989e12, 'H100': 989e12, 'A100': 312e12, 'L40S': 362e12, 'A10': 125e12}   # dense, TFLOP/s x 1e12

def peak_of(device) -> tuple:
    "(name, dense bf16 peak FLOP/s or None) of the device."
    if device.type != 'cuda': return 'cpu', None
    name = torch.cuda.get_device_name(device)
    return name, next((v for k, v in PEAK_BF16.items() if k in name), None)

def make_arm(model: str, tuner: str, classes: int, device, precision: str, meta: bool = False):
    "A Trainer-like namespace (model, optimiser, loss) of `tuner` on `model` with random weights, as `run.build` makes them."
    from metapeft_nb.config import get_config
    from metapeft_nb.backbones import create_backbone
    from metapeft_nb.heads import head_from_config
    from metapeft_nb.peft.model import build_peft_model
    from metapeft_nb.optim import PeftOptimizer, slot_param_groups
    cfg = get_config(None, model, tuner, dict(pretrained=False, use_meta=meta, head_init='none', precision=precision, device=str(device)))
    backbone = create_backbone(cfg.backbone, pretrained=False, seed=0)
    m = build_peft_model(cfg, classes, head_from_config(cfg, backbone.embed_dim, classes), backbone).to(device)
    theta = m.trainable_parameters()
    opt = PeftOptimizer(slot_param_groups(theta, m.slot_of, {k: v / cfg.lr for k, v in m.slot_lrs(cfg.lr).items()}), cfg.optimizer,
                        lr=cfg.lr, total_steps=10**6, weight_decay=cfg.weight_decay, momentum=cfg.momentum)
    tr = SimpleNamespace(model=m, train_model=m, opt=opt, loss_fn=F.cross_entropy, device=torch.device(device), precision=precision,
                         grad_clip=None, micro=None, scaler=None, meta=None, step=0, good_step=None, folder=None, theta=lambda: {n: p for g in opt.param_groups
                                                                                                     for n, p in zip(g['param_names'], g['params'])})
    m.train()
    return cfg, tr

def sync(device):
    if device.type == 'cuda': torch.cuda.synchronize(device)

def time_steps(fn, steps: int, device) -> list:
    "Seconds of each of `steps` calls of `fn` after 3 untimed ones."
    for _ in range(3): fn()
    out = []
    for _ in range(steps):
        sync(device); t = time.perf_counter(); fn(); sync(device); out.append(time.perf_counter() - t)
    return out

def flops_of(fn) -> int:
    from torch.utils.flop_counter import FlopCounterMode
    with FlopCounterMode(display=False) as fc: fn()
    return fc.get_total_flops()

def peak_memory_mib(device) -> float:
    if device.type == 'cuda': return torch.cuda.max_memory_allocated(device) / 2**20
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'): return int(line.split()[1]) / 1024
    return float('nan')

def median(v): return sorted(v)[len(v) // 2]

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', default='clip_vit_b16'); p.add_argument('--batch', type=int, default=64)
    p.add_argument('--steps', type=int, default=20); p.add_argument('--deadline', type=float, default=480, help='seconds from the start')
    p.add_argument('--out', default='nbs/benchmarks/results/gpu_bench.json'); p.add_argument('--device', default='cuda')
    p.add_argument('--precision', default='bf16'); p.add_argument('--classes', type=int, default=100)
    p.add_argument('--arms', default='lora,adaptformer,flora,vpt_deep,lora+meta,stack,lora+compile'); p.add_argument('--stack', type=int, default=8)
    a = p.parse_args(argv)
    from metapeft_nb.train import train_step
    from metapeft_nb.meta.bilevel import meta_step, outer_optimizer, xy_loss
    from metapeft_nb.many import ArmStack
    t_start, device = time.time(), torch.device(a.device)
    name, peak = peak_of(device)
    print(f'device {name}; dense bf16 peak {"unknown" if peak is None else f"{peak / 1e12:.0f} TFLOP/s"}; {a.model}, batch {a.batch}, '
          f'{a.precision}, {a.steps} timed steps per arm', flush=True)
    g = torch.Generator().manual_seed(0)
    rec = dict(device=name, peak_flops=peak, model=a.model, batch=a.batch, precision=a.precision, torch=torch.__version__, arms={})
    out = Path(a.out); out.parent.mkdir(parents=True, exist_ok=True)
    for arm in a.arms.split(','):
        if time.time() - t_start > a.deadline: print(f'deadline: {arm} and the arms after it not measured', flush=True); break
        tuner = 'lora' if arm in ('lora+meta', 'stack', 'lora+compile') else arm
        cfg, tr = make_arm(a.model, tuner, a.classes, device, a.precision, meta=arm == 'lora+meta')
        size = tr.model.backbone.img_size
        x = torch.randn(a.batch, 3, size, size, generator=g).to(device); y = torch.randint(0, a.classes, (a.batch,), generator=g).to(device)
        if arm == 'lora+compile': tr.train_model = torch.compile(tr.model)   # the first call compiles (untimed warm-up)
        plain = lambda: train_step(tr, (x, y))
        if device.type == 'cuda': torch.cuda.reset_peak_memory_stats(device)
        flops = flops_of(lambda: train_step(SimpleNamespace(**{**vars(tr), 'train_model': tr.model}), (x, y)))
        r = dict(flops_per_image=flops / a.batch)
        if arm == 'lora+meta':
            phi = tr.model.meta_parameters(); outer = outer_optimizer(phi, cfg.meta_lr); ce = xy_loss(F.cross_entropy)
            meta = lambda: meta_step(tr.model, tr.opt, phi, outer, [(x, y)], (x, y), ce, ce, mode='unrolled', eval_after=False)
            tp, tm = time_steps(plain, a.steps, device), time_steps(meta, max(3, a.steps // 4), device)
            r.update(plain_step_s=median(tp), meta_step_s=median(tm), meta_step_in_plain_steps=median(tm) / median(tp))
        elif arm == 'stack':
            fresh = lambda: [make_arm(a.model, 'lora', a.classes, device, a.precision)[1] for _ in range(a.stack)]
            st, alone = ArmStack(fresh()), fresh()   # both sides from step 0
            ts = time_steps(lambda: st.step([(x, y)] * a.stack), a.steps, device)
            tq = time_steps(lambda: [train_step(t, (x, y)) for t in alone], a.steps, device)
            r.update(arms=a.stack, stack_step_s=median(ts), sequential_s=median(tq), stack_speed_up=median(tq) / median(ts),
                     images_per_s=a.stack * a.batch / median(ts))
        else:
            ts = time_steps(plain, a.steps, device)
            r.update(step_s=median(ts), images_per_s=a.batch / median(ts))
        if 'images_per_s' in r and peak: r['fraction_of_peak'] = r['flops_per_image'] * r['images_per_s'] / peak
        r['peak_memory_mib'] = peak_memory_mib(device)
        rec['arms'][arm] = r
        out.write_text(json.dumps(rec, indent=1))
        shown = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}
        print(f'{arm}: {shown}', flush=True)
        tr = None   # the arm's model freed before the next (its closures above are done with it)
        if device.type == 'cuda': torch.cuda.empty_cache()
    return rec

if __name__ == '__main__': main()
