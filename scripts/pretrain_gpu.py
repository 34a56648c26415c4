"""Time a training step of the chosen architecture on this device, fit the epoch count to a budget, then run the
package's pretraining CLI (which resumes, logs every epoch and, with --export, writes the weights and the card)."""
import math, subprocess, sys, time, torch, torch.nn.functional as F
from timm.models.vision_transformer import VisionTransformer
from metapeft_nb.pretrain import VIT_TINY_C10, augment
data, out, budget_s, device = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
n_train, bs, arch = int(sys.argv[5]) if len(sys.argv) > 5 else 50_000, 512, dict(embed_dim=192, depth=6, num_heads=3)
dev = torch.device(device)
m = VisionTransformer(**{**VIT_TINY_C10, **arch}).to(dev); opt = torch.optim.AdamW(m.parameters(), lr=1e-3)
x = torch.randint(0, 256, (bs, 3, 32, 32), dtype=torch.uint8, device=dev); y = torch.randint(0, 10, (bs,), device=dev)
g = torch.Generator(device=dev).manual_seed(0)
amp = torch.autocast('cuda', dtype=torch.bfloat16) if dev.type == 'cuda' else torch.autocast('cpu', enabled=False)
def step():
    with amp: loss = F.cross_entropy(m(augment(x, g)), y, label_smoothing=0.1)
    opt.zero_grad(); loss.backward(); opt.step(); return loss
for _ in range(5): step()
if dev.type == 'cuda': torch.cuda.synchronize()
t = time.time(); n = 30 if dev.type == 'cuda' else 2
for _ in range(n): l = step()
l.item(); dt = (time.time() - t) / n
per_epoch = dt * math.ceil(n_train / bs) * 1.15 + 0.5   # + evaluation and slack
epochs = max(2, min(400, int(budget_s / per_epoch)))
print(f'{dt * 1e3:.1f} ms a step of {bs}: ~{per_epoch:.1f} s an epoch -> {epochs} epochs in {budget_s:.0f} s', flush=True)
m = opt = None   # the timing model freed before the real run starts
cmd = [sys.executable, '-m', 'metapeft_nb.pretrain', data, out, '--epochs', str(epochs), '--batch_size', str(bs), '--lr', '0.002',
       '--warmup_epochs', '5', '--device', device, '--embed_dim', '192', '--num_heads', '3',
       '--max_minutes', f'{budget_s * 1.25 / 60:.1f}', '--export', 'metapeft_nb/assets']
print(' '.join(cmd[1:]), flush=True)
sys.exit(subprocess.run(cmd).returncode)
