"""Deep factorizations for completion: observations as index lists, stacked problems, the
compressed factorization, alternating minimization and the timed training loop.

A completion problem observes entries (rows, cols, values) of an m x n matrix. S problems of
the same shape and observation count (seeds) are stacked: index tensors are (S, N); no mask
matrix exists. Predictions at observed entries come from the factor chain split at its narrowest
layer: a narrow chain on a very sparse problem gathers ``(left[rows] * right[:, cols].T).sum(-1)``
and never forms an m x n matrix; otherwise the product is formed once per step and the observed
entries gathered from it (for a full-width chain that is its cost anyway).
Everything here runs in float64: the small-initialization dynamics need it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from lowdim.config import params_hash
from lowdim.models.linear import DeepLinear
from lowdim.models import factors
from lowdim.train import Checkpointer, fit


@dataclass
class Observations:
    """Entries (rows, cols) -> values of S stacked m x n problems; tensors are (S, N)."""

    rows: torch.Tensor
    cols: torch.Tensor
    values: torch.Tensor
    shape: tuple[int, int]

    def to(self, device) -> "Observations":
        return Observations(self.rows.to(device), self.cols.to(device), self.values.to(device), self.shape)

    @staticmethod
    def stack(items: list[tuple[np.ndarray, np.ndarray, np.ndarray]], shape: tuple[int, int]) -> "Observations":
        rows, cols, values = (torch.as_tensor(np.stack([it[k] for it in items])) for k in range(3))
        return Observations(rows.long(), cols.long(), values.double(), shape)


def completion_target(dim: int, rank: int, seed: int) -> np.ndarray:
    """The authors' synthetic ground truth (law-of-parsimony ``data.generate_data``): the best rank-r
    approximation of a d x d standard Gaussian matrix, i.e. its top r singular triples (singular
    values near 2 sqrt(d), entries O(sqrt(r/d)))."""
    rng = np.random.default_rng(seed)
    u, s, vt = np.linalg.svd(rng.standard_normal((dim, dim)))
    return (u[:, :rank] * s[:rank]) @ vt[:rank]


def synthetic(dim: int, rank: int, observed: float, seeds: list[int]) -> tuple[Observations, Observations]:
    """Train/test observations of ``len(seeds)`` stacked problems: a seeded target and a
    seeded uniformly random set of round(observed d^2) entries; the rest is the test set."""
    train, test = [], []
    n_obs = int(round(observed * dim * dim))
    for seed in seeds:
        target = completion_target(dim, rank, seed)
        perm = np.random.default_rng(seed + 10_000).permutation(dim * dim)
        for out, idx in ((train, np.sort(perm[:n_obs])), (test, np.sort(perm[n_obs:]))):
            r, c = idx // dim, idx % dim
            out.append((r, c, target[r, c]))
    return Observations.stack(train, (dim, dim)), Observations.stack(test, (dim, dim))


#: below 1/GATHER_SPARSITY observed, a narrow chain gathers rows and columns instead of forming the
#: m x n product; above it the (BLAS) product is faster (d = 1000, 20% observed, width 10: 3 ms vs
#: 23 ms per step on 2 CPU cores)
GATHER_SPARSITY = 64


class Chain(factors.Chain):
    """S stacked factor chains (``lowdim.models.factors.Chain``), ``factors[i]`` (S, d_{i+1}, d_i),
    read at observed entries."""

    def predict(self, obs: Observations) -> torch.Tensor:
        """Predictions at the observed entries, (S, N)."""
        left, right = self.split()
        m, n = obs.shape
        k = right.shape[1]
        if k < min(m, n) // 2 and obs.rows.shape[1] * GATHER_SPARSITY < m * n:  # O(N k), no m x n matrix
            lg = torch.gather(left, 1, obs.rows[..., None].expand(-1, -1, k))  # (S, N, k)
            rg = torch.gather(right, 2, obs.cols[:, None, :].expand(-1, k, -1))  # (S, k, N)
            return (lg * rg.transpose(1, 2)).sum(-1)
        full = (left @ right).flatten(1)  # (S, m n)
        return torch.gather(full, 1, obs.rows * n + obs.cols)


def masked_loss(pred: torch.Tensor, obs: Observations) -> torch.Tensor:
    """Per-problem loss 1/2 * sum over observed entries of the squared error / (m n), i.e. half
    the mean over all m n entries of the masked squared error (the authors' normalization)."""
    m, n = obs.shape
    return 0.5 * (pred - obs.values).pow(2).sum(-1) / (m * n)


def relative_error(pred: torch.Tensor, obs: Observations) -> torch.Tensor:
    """||P(X - M)||_F / ||P(M)||_F over the given entries, per problem."""
    return (pred - obs.values).norm(dim=-1) / obs.values.norm(dim=-1)


def rmse(pred: torch.Tensor, obs: Observations) -> torch.Tensor:
    return (pred - obs.values).pow(2).mean(-1).sqrt()


def full_chain(shape: tuple[int, int], width: int, depth: int, init_scale: float, seeds: list[int]) -> Chain:
    """Depth-L factorization m x w x ... x w x n from scaled orthogonal init (seeded per seed)."""
    m, n = shape
    net = DeepLinear([n] + [width] * (depth - 1) + [m], seeds, init_scale)
    return Chain([w.detach() for w in net.weights])


def compressed_chain(full: Chain, train: Observations, rank: int, init_scale: float) -> Chain:
    """The compressed factorization of ``full`` (Yaras et al. 2024, Sec. 3): from the first
    factor's gradient at initialization, per problem, [V_1^T, eps I_2r (L times), U_L] — the same
    construction as the compressed deep linear network (``lowdim.models.factors.compress``).
    Its outer factors are trained at gamma * lr (the discrepant learning rate that lets both
    singular spaces move in completion, where the first gradient only estimates them)."""
    params = list(full.factors)
    loss = masked_loss(full.predict(train), train).sum()
    grad_first = torch.autograd.grad(loss, params[0])[0]  # (S, w, n)
    return Chain(factors.compress_stacked([p.detach() for p in params], grad_first, rank, init_scale), outer=True)


def narrow_chain(shape: tuple[int, int], width: int, depth: int, init_scale: float, seeds: list[int]) -> Chain:
    """The same depth and width as the compressed chain, random orthogonal init."""
    return full_chain(shape, width, depth, init_scale, [s + 500 for s in seeds])


def train_chain(run: str, chain: Chain, train: Observations, evaluate: Callable[[Chain], dict[str, torch.Tensor]],
                lr: float, gamma: float, max_steps: int, record_every: int, tol: float, checkpoint: Path,
                identity: object) -> list[dict]:
    """Full-batch GD on the masked loss, ``record_every`` steps per logged row.

    Rows hold the step, per-problem ``train_loss`` and the numbers ``evaluate`` returns
    (per problem), and ``seconds``: training wall-clock excluding evaluation. Stops when every
    problem's train loss is below ``tol``. A non-finite loss stops the run naming it and the step.
    """
    opt = torch.optim.SGD(chain.param_groups(lr, gamma))
    clock = {"start": time.perf_counter(), "paused": 0.0}

    def loss_fn(_):
        return masked_loss(chain.predict(train), train).sum()

    def record(epoch):
        now = time.perf_counter()
        if train.values.is_cuda:
            torch.cuda.synchronize()
        out = {"seconds": now - clock["start"] - clock["paused"]}
        out["train_loss"] = masked_loss(chain.predict(train), train).cpu().numpy()
        out.update({k: v.cpu().numpy() for k, v in evaluate(chain).items()})
        clock["paused"] += time.perf_counter() - now
        return out

    epochs = -(-max_steps // record_every)
    history = fit(run, chain, opt, loss_fn, lambda e: range(record_every), epochs,
                  Checkpointer(checkpoint, params_hash(identity), max(1, epochs // 10)),
                  on_epoch_end=record, stop=lambda h: bool(np.all(h["train_loss"] < tol)))
    # seconds restart at 0 after a resume; make them cumulative across the pieces
    offset, last = 0.0, 0.0
    for h in history:
        if h["seconds"] + offset < last:
            offset = last
        h["seconds"] += offset
        last = h["seconds"]
    return history


def factor_predict(a: torch.Tensor, b: torch.Tensor, obs: Observations) -> torch.Tensor:
    """Entries (rows, cols) of A B^T for stacked factors A (S, m, r), B (S, n, r): (S, N)."""
    k = a.shape[-1]
    return (torch.gather(a, 1, obs.rows[..., None].expand(-1, -1, k))
            * torch.gather(b, 1, obs.cols[..., None].expand(-1, -1, k))).sum(-1)


def als(train: Observations, test_eval: Callable[[torch.Tensor, torch.Tensor], dict[str, torch.Tensor]],
        rank: int, ridge: float, iterations: int) -> list[dict]:
    """Alternating minimization for X = A B^T of rank ``rank``: each half-step solves, for every
    row (column), the ridge least-squares problem over its observed entries,
    (sum_j b_j b_j^T + ridge I) a_i = sum_j M_ij b_j, batched over rows and problems.
    Initialized spectrally (top-r SVD of the rescaled observed matrix P(M) / p).
    ``test_eval(A, B)`` returns per-problem numbers. Rows as ``train_chain``'s."""
    s_count, n_obs = train.rows.shape
    m, n = train.shape
    dev, dt = train.values.device, train.values.dtype
    dense = torch.zeros(s_count, m * n, dtype=dt, device=dev)
    dense.scatter_(1, train.rows * n + train.cols, train.values)
    u, sv, vh = torch.linalg.svd(dense.view(s_count, m, n) * (m * n / n_obs))
    root = sv[:, :rank].sqrt()
    a, b = u[..., :rank] * root[:, None], vh[:, :rank].transpose(1, 2) * root[:, None]  # (S, m, r), (S, n, r)
    offsets = torch.arange(s_count, device=dev)[:, None]
    eye = ridge * torch.eye(rank, dtype=dt, device=dev)

    def solve(fixed: torch.Tensor, idx_solve: torch.Tensor, idx_fixed: torch.Tensor, size: int) -> torch.Tensor:
        f = torch.gather(fixed, 1, idx_fixed[..., None].expand(-1, -1, rank)).reshape(-1, rank)  # (S N, r)
        key = (idx_solve + offsets * size).reshape(-1)
        gram = torch.zeros(s_count * size, rank, rank, dtype=dt, device=dev)
        gram.index_add_(0, key, f[:, :, None] * f[:, None, :])
        rhs = torch.zeros(s_count * size, rank, dtype=dt, device=dev)
        rhs.index_add_(0, key, f * train.values.reshape(-1, 1))
        return torch.linalg.solve(gram + eye, rhs).view(s_count, size, rank)

    history, seconds = [], 0.0
    for it in range(1, iterations + 1):
        t0 = time.perf_counter()
        a = solve(b, train.rows, train.cols, m)
        b = solve(a, train.cols, train.rows, n)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        seconds += time.perf_counter() - t0
        loss = 0.5 * (factor_predict(a, b, train) - train.values).pow(2).sum(-1) / (m * n)
        history.append({"epoch": it, "step": it, "seconds": seconds, "train_loss": loss.cpu().numpy(),
                        **{k: v.cpu().numpy() for k, v in test_eval(a, b).items()}})
    return history
