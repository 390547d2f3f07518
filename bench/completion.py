"""Deep matrix completion speed: compressed (discrepant lr) vs full width vs narrow random vs ALS.

    python bench/completion.py           # CPU: d = 200 (the embedded setting), <= 70 s per method; GPU: the paper's
    python bench/completion.py --paper   # d = 1000, r = 5, 20% observed, L = 3, <= 900 s per method (paper setting)

Each method runs full-batch GD (ALS: alternating ridge solves) on the same seeded problem until
the relative test error (unobserved entries) reaches --reach or --max-seconds pass, checking
every --check steps (test evaluation is excluded from the clock). Prints seconds per step,
steps and seconds to --reach, and the ratios full / compressed and narrow / compressed.
The defaults are the authors' (law-of-parsimony fig_compare_iteration_time: init 1e-3, lr 5e3,
dlr 0.01). Their figure: compressed ~1.95e4 iterations for every r, narrow 2.3-3.2x more
iterations and 1.9-2.6x more time. On 2 CPU cores the full-width network needs hours at d = 1000
(it stops at --max-seconds); `--methods compressed narrow` measures the narrow ratio in ~10 minutes.
With --eps 1e-2 every network leaves the saddle ~10x sooner, but the compressed network's
first-gradient subspace then lags and it loses its advantage.
"""

from __future__ import annotations

import argparse
import time

import torch

from lowdim.studies.completion.core import (als, compressed_chain, factor_predict, full_chain, masked_loss, narrow_chain,
                                            relative_error, synthetic)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def run(chain, train, test, lr, gamma, args, device) -> dict:
    opt = torch.optim.SGD(chain.param_groups(lr, gamma))
    clock, step, err = 0.0, 0, float("nan")
    while clock < args.max_seconds:
        sync(device)
        t0 = time.perf_counter()
        for _ in range(args.check):
            opt.zero_grad(set_to_none=True)
            masked_loss(chain.predict(train), train).sum().backward()
            opt.step()
        sync(device)
        clock += time.perf_counter() - t0
        step += args.check
        with torch.no_grad():
            err = float(relative_error(chain.predict(test), test).max())
        if not err < 1e6:
            raise SystemExit(f"diverged at step {step}: lower --lr")
        if err <= args.reach:
            return {"steps": step, "seconds": clock, "error": err, "per_step": clock / step, "reached": True}
    return {"steps": step, "seconds": clock, "error": err, "per_step": clock / max(step, 1), "reached": False}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--paper", action="store_true", help="the paper's size (d = 1000, 900 s per method) also on CPU")
    ap.add_argument("--dim", type=int, default=None, help="default: 1000 on a GPU or with --paper, else 200")
    ap.add_argument("--rank", type=int, default=5)
    ap.add_argument("--observed", type=float, default=0.2)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--eps", type=float, default=1e-3)
    ap.add_argument("--lr", type=float, default=None, help="default 5 d: the authors' 5e3 at d = 1000, 1e3 at 200")
    ap.add_argument("--gamma", type=float, default=0.01)
    ap.add_argument("--reach", type=float, default=1e-6)
    ap.add_argument("--check", type=int, default=25)
    ap.add_argument("--max-seconds", type=float, default=None, help="per method; default 900 (paper size) or 70")
    ap.add_argument("--methods", nargs="*", default=["compressed", "narrow", "als", "full"])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    device = torch.device(args.device)
    paper = args.paper or device.type == "cuda"
    args.dim = args.dim or (1000 if paper else 200)
    args.lr = args.lr or 5.0 * args.dim
    args.max_seconds = args.max_seconds or (900.0 if paper else 70.0)
    train, test = (o.to(device) for o in synthetic(args.dim, args.rank, args.observed, [0]))
    full = full_chain(train.shape, args.dim, args.depth, args.eps, [0]).to(device)
    comp = compressed_chain(full, train, args.rank, args.eps)  # from the full network at init
    print(f"device {device} ({torch.get_num_threads()} threads), d={args.dim} r={args.rank} p={args.observed} "
          f"L={args.depth} eps={args.eps} lr={args.lr} gamma={args.gamma}, reach test error {args.reach:g}")
    results = {}
    for name in args.methods:
        if name == "compressed":
            results[name] = run(comp, train, test, args.lr, args.gamma, args, device)
        elif name == "narrow":
            results[name] = run(narrow_chain(train.shape, 2 * args.rank, args.depth, args.eps, [0]).to(device), train,
                                test, args.lr, 1.0, args, device)
        elif name == "full":
            results[name] = run(full, train, test, args.lr, 1.0, args, device)
        elif name == "als":
            def test_error(a, b):
                return {"test_error": relative_error(factor_predict(a, b, test), test)}

            als(train, test_error, args.rank, 1e-6, 1)  # warm-up (solver kernels)
            hist = als(train, test_error, args.rank, 1e-6, 50)
            k = next((i for i, h in enumerate(hist) if h["test_error"].max() <= args.reach), len(hist) - 1)
            results[name] = {"steps": k + 1, "seconds": hist[k]["seconds"], "error": float(hist[k]["test_error"].max()),
                             "per_step": hist[-1]["seconds"] / len(hist), "reached": bool(hist[k]["test_error"].max() <= args.reach)}
        r = results[name]
        print(f"{name:>10}: {r['per_step'] * 1e3:8.2f} ms/step, {r['steps']:6d} steps, {r['seconds']:8.2f} s, "
              f"test error {r['error']:.2e}{'' if r['reached'] else '  (did not reach; stopped at --max-seconds)'}")
    if "narrow" in results and "compressed" in results:
        n, c = results["narrow"], results["compressed"]
        print(f"ratio narrow/compressed: steps {n['steps'] / c['steps']:.2f}x, time {n['seconds'] / c['seconds']:.2f}x"
              + ("" if n["reached"] and c["reached"] else " (a run did not reach --reach)")
              + " (authors at d = 1000: 2.3-3.2x steps, 1.9-2.6x time)")
    if "full" in results and "compressed" in results:
        f, c = results["full"], results["compressed"]
        print(f"ratio full/compressed: per step {f['per_step'] / c['per_step']:.1f}x, "
              f"time to {args.reach:g} {f['seconds'] / c['seconds']:.1f}x"
              + ("" if f["reached"] and c["reached"] else " (lower bound: full did not reach)" if c["reached"] else
                 " (compressed did not reach)"))


if __name__ == "__main__":
    main()
