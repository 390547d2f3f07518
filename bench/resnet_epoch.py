"""One training epoch of lowdim's ResNet18 on CIFAR-10-shaped data: images/s and MFU.

    python bench/resnet_epoch.py                 # GPU: 50,000 x 3 x 32 x 32, batch 512; CPU: 1,024 images
    python bench/resnet_epoch.py --n 50000       # the full epoch anywhere

Synthetic uint8 images stay on the device and are converted per batch, as in training;
bf16 autocast, channels_last and TF32 on CUDA. FLOPs per image come from torch's
FlopCounterMode on one training step; MFU divides achieved FLOP/s by the device's dense bf16
peak, looked up from its name.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from lowdim.models import build
from lowdim.rehearsal import cost

SPEC = {"arch": "resnet18", "depth": 0, "width": 64, "linear_depth": 0, "batch_norm": True}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=None, help="images; default 50,000 on a GPU, 1,024 on CPU")
    p.add_argument("--batch", type=int, default=512)
    args = p.parse_args()
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    args.n = args.n or (50_000 if cuda else 1024)
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    x_all = torch.randint(0, 256, (args.n, 3, 32, 32), dtype=torch.uint8, device=device)
    y_all = torch.randint(0, 10, (args.n,), device=device)
    model = build(SPEC, (3, 32, 32), 10).to(device)
    if cuda:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)

    def step(idx):
        x = (x_all[idx].float() / 255 - 0.5) / 0.25
        if cuda:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
            loss = F.cross_entropy(model(x), y_all[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    batch = torch.arange(min(args.batch, args.n), device=device)
    with FlopCounterMode(display=False) as counter:
        step(batch)
    flops_per_image = counter.get_total_flops() / batch.numel()
    for _ in range(3):  # warm-up (cuDNN autotuning)
        step(batch)
    perm = torch.randperm(args.n, device=device)
    if cuda:
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
    t0 = time.perf_counter()
    for idx in perm.split(args.batch):
        step(idx)
    if cuda:
        end.record()
        torch.cuda.synchronize()
        seconds = start.elapsed_time(end) / 1000
    else:
        seconds = time.perf_counter() - t0
    rate = args.n / seconds
    name = torch.cuda.get_device_name() if cuda else "cpu"
    peak = cost.peak(name)
    peak = peak / 1e12 if peak else None  # TFLOP/s
    print(f"device: {name}; {args.n} images, batch {args.batch}: epoch {seconds:.2f} s, {rate:,.0f} images/s")
    print(f"training FLOPs/image {flops_per_image / 1e9:.2f} GFLOP -> {rate * flops_per_image / 1e12:.1f} TFLOP/s"
          + (f", MFU {rate * flops_per_image / 1e12 / peak:.1%} of {peak:.0f} TFLOP/s bf16 peak" if peak else
             " (no bf16 peak known for this device)"))


if __name__ == "__main__":
    main()
