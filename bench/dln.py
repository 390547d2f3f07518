"""Deep-linear-network speed: compressed vs full width vs narrow random, and batched vs looped seeds.

    python bench/dln.py            # CPU: d = 300 (about a minute); on a GPU: the paper's d = 1000
    python bench/dln.py --paper    # d = 1000, r = 5, L = 3 (the paper's speed setting) anywhere

Part 1 trains each network by GD on a fully observed rank-r target to loss <= --tol and prints
time per step, iterations, time to tolerance and the ratios full/compressed and narrow/compressed
(goals: compressed >= 10x faster than full width, >= ~2x faster than narrow random).
The full network cannot go below loss 0.5 * eps^(2L) * (d - 2r) (its init outside the invariant
subspace shrinks only very slowly), so keep eps small enough that this floor is below --tol.
Part 2 trains S seeds of the progressive-collapse DLN as one batched program and as a Python
loop over seeds (goal on the GPU: >= 5x).
"""

from __future__ import annotations

import argparse
import time

import torch

from lowdim.data.synthetic import lowrank_target
from lowdim.models.linear import DeepLinear, orthogonal
from lowdim.models.factors import Chain as Factors, compress
from lowdim.studies.dln.experiments import losses


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def train_to_tol(net: Factors, params, phi, lr, tol, max_steps, device) -> tuple[int, float]:
    opt = torch.optim.SGD(params, lr=lr)
    sync(device)
    start = time.perf_counter()
    for step in range(1, max_steps + 1):
        opt.zero_grad(set_to_none=True)
        loss = 0.5 * (net.product() - phi).pow(2).sum()
        loss.backward()
        opt.step()
        if step % 25 == 0 and loss.item() <= tol:  # check sparingly: .item() synchronises
            break
    sync(device)
    return step, time.perf_counter() - start


def part1(args, device) -> None:
    d, r, depth, eps = args.dim, args.rank, args.depth, args.eps
    phi = torch.as_tensor(lowrank_target(d, r, 0), device=device)
    init = [w.detach()[0] for w in DeepLinear([d] * (depth + 1), [0], eps).to(device).weights]
    full = Factors(init)
    grad = torch.autograd.grad(0.5 * (full.product() - phi).pow(2).sum(), full.factors[0])[0]
    comp = Factors(compress([f.detach() for f in init], grad, r, eps))
    g = torch.Generator().manual_seed(1)
    widths = [d] + [2 * r] * (depth - 1) + [d]
    narrow = Factors([orthogonal((widths[i + 1], widths[i]), eps, g).to(device) for i in range(depth)])
    results = {}
    for name, net, params in (("full", full, full.parameters()), ("compressed", comp, list(comp.factors[1:-1])),
                              ("narrow", narrow, narrow.parameters())):
        steps, secs = train_to_tol(net, params, phi, args.lr, args.tol, args.max_steps, device)
        results[name] = (steps, secs)
        print(f"{name:10s} {steps:6d} it  {secs / steps * 1e3:8.3f} ms/it  {secs:8.2f} s to loss {args.tol:g}")
    f, c, n = (results[k][1] for k in ("full", "compressed", "narrow"))
    print(f"ratio full/compressed: {f / c:.1f}x (goal >= 10x); narrow/compressed: {n / c:.1f}x (goal >= ~2x)")


def part2(args, device) -> None:
    x = torch.randn(1, 50, 30, dtype=torch.float64, device=device)
    y = torch.arange(30, device=device) % 3

    def run(seed_groups):
        nets = [DeepLinear([50] + [50] * 6 + [3], seeds, 0.5).to(device) for seeds in seed_groups]
        opts = [torch.optim.SGD(n.parameters(), lr=0.1) for n in nets]
        sync(device)
        start = time.perf_counter()
        for _ in range(args.epochs):
            for net, opt in zip(nets, opts):
                opt.zero_grad(set_to_none=True)
                losses(net(x), y, "mse").sum().backward()
                opt.step()
        sync(device)
        return time.perf_counter() - start

    seeds = list(range(args.seeds))
    run([seeds[:1]])  # warm-up
    batched, looped = run([seeds]), run([[s] for s in seeds])
    print(f"{args.seeds} seeds x {args.epochs} GD steps: batched {batched:.2f} s, looped {looped:.2f} s, "
          f"ratio {looped / batched:.1f}x (goal >= 5x on the GPU)")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--paper", action="store_true", help="the paper's size (d = 1000) also on CPU")
    p.add_argument("--dim", type=int, default=None, help="default: 1000 on a GPU or with --paper, else 300")
    p.add_argument("--rank", type=int, default=5)
    p.add_argument("--depth", type=int, default=3)
    p.add_argument("--eps", type=float, default=1e-3)
    p.add_argument("--lr", type=float, default=0.5)
    p.add_argument("--tol", type=float, default=1e-10)
    p.add_argument("--max-steps", type=int, default=20000)
    p.add_argument("--seeds", type=int, default=32)
    p.add_argument("--epochs", type=int, default=200)
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    args.dim = args.dim or (1000 if args.paper or device.type == "cuda" else 300)
    print(f"device: {torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'}; float64")
    part1(args, device)
    part2(args, device)


if __name__ == "__main__":
    main()
