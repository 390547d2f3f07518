"""NC1 speed and accuracy: lowdim's K x K streaming form vs the textbook d x d pseudo-inverse.

    python bench/nc1.py                    # N = 20,000; d in {512, 2048}; K in {10, 100} (about a minute)
    python bench/nc1.py --n 60000          # MNIST-sized

For each (d, K) it prints both times, the ratio (goal >= 10x at d = 2048), and the relative
disagreement with the d x d reference, whose pseudo-inverse keeps exactly the K - 1 nonzero
eigenvalues of Sigma_B (goal <= 1e-8). A tolerance-based ``np.linalg.pinv`` is shown too:
at large d it keeps noise eigenvalues of Sigma_B and drifts from the truth.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from lowdim.metrics import nc1


def reference(h: np.ndarray, y: np.ndarray, k: int, rank_aware: bool = True) -> float:
    means = np.stack([h[y == c].mean(0) for c in range(k)])  # (K, d)
    centred = means - means.mean(0)
    r = h - means[y]  # (N, d)
    sw = r.T @ r / len(y)  # (d, d)
    sb = centred.T @ centred / k  # (d, d)
    if rank_aware:
        lam, vec = np.linalg.eigh(sb)
        lam, vec = lam[-(k - 1):], vec[:, -(k - 1):]  # Sigma_B has rank K - 1
        pinv = (vec / lam) @ vec.T
    else:
        pinv = np.linalg.pinv(sb)
    return float(np.trace(sw @ pinv) / k)


def timed(fn, repeats: int = 3):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, float(np.median(times))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=20_000)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    print(f"N = {args.n}; median of {args.repeats} runs after a warm-up")
    print(f"{'d':>5} {'K':>4} {'lowdim s':>9} {'dxd s':>8} {'ratio':>7} {'rel.err':>9} {'pinv rel.err':>12}")
    for d in (512, 2048):
        for k in (10, 100):
            rng = np.random.default_rng(0)
            y = np.arange(args.n) % k
            h = (rng.standard_normal((k, d)) * 2)[y] + rng.standard_normal((args.n, d))  # (N, d) float64
            fast, t_fast = timed(lambda: nc1(h, y, k), args.repeats)
            ref, t_ref = timed(lambda: reference(h, y, k), args.repeats)
            naive = reference(h, y, k, rank_aware=False)
            print(f"{d:5d} {k:4d} {t_fast:9.3f} {t_ref:8.3f} {t_ref / t_fast:6.1f}x {abs(fast - ref) / ref:9.1e}"
                  f" {abs(naive - ref) / ref:12.1e}", flush=True)


if __name__ == "__main__":
    main()
