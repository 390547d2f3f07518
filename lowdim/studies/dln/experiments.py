"""The DLN study's experiments, one step each.

* ``progressive`` — progressive compression and discrimination across the layers of deep linear
  (and ReLU) networks trained by full-batch gradient descent (Wang et al. 2023, Sec. 3-4), on the
  authors' setup (Heimine/PNC_DLN, ``assumption/``): nearly orthonormal samples, scaled orthogonal
  init, outputs scaled by ``output_scale`` in the MSE, GD until the loss is below ``tol``;
* ``invariant`` and ``compressed`` — the law of parsimony (Yaras et al. 2023): GD on a deep linear
  network changes only a 2r-dimensional invariant subspace of every weight matrix, so a compressed
  width-2r network follows the full-width trajectory at a fraction of the cost.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from lowdim import tables
from lowdim.config import params_hash
from lowdim.data.synthetic import lowrank_target, orthogonal_samples
from lowdim.io import write_json
from lowdim.metrics import compression, discrimination
from lowdim.metrics.subspace import principal_angles
from lowdim.models.factors import Chain, compress
from lowdim.models.linear import DeepLinear, orthogonal
from lowdim.specs import as_dict
from lowdim.studies.dln.params import DlnCompressedJob, DlnInvariantJob, DlnProgressive, DlnProgressiveJob
from lowdim.studies.dln import lowrank, row
from lowdim.train import Checkpointer, fit, pick_device, sweep

DATASET = "orthogonal_samples"


def losses(out: torch.Tensor, y: torch.Tensor, kind: str, output_scale: float = 1.0) -> torch.Tensor:
    """Per-network loss (S,) of outputs ``out`` (S, K, N).

    ``mse``: the authors' sum_n |a z_n - e_y|^2 / N with output scale a; ``ce``: cross-entropy of a z.
    """
    z = output_scale * out
    if kind == "mse":
        target = F.one_hot(y, out.shape[1]).T.to(out.dtype)  # (K, N)
        return (z - target).pow(2).sum(1).mean(1)
    return torch.stack([F.cross_entropy(o.T, y) for o in z])


def samples(p: DlnProgressive, seeds: list[int], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Every seed's own draw of the data (the authors seed data and init together): (S, d, N), (N,)."""
    draws = [orthogonal_samples(**as_dict(p.data), seed=s) for s in seeds]
    x = torch.as_tensor(np.stack([d["x"].T for d in draws]), dtype=torch.float64, device=device)  # (S, d, N)
    return x, torch.as_tensor(draws[0]["y"], device=device).long()


def progressive(spec: DlnProgressiveJob, job: str, out: str, checkpoint: str) -> None:
    """Train every seed of one (activation, depth) job as one batched network; log per-layer metrics."""
    activation, depth = job.split("-L")
    depth = int(depth)
    p = spec.progressive
    device = pick_device(spec.device)
    seeds = spec.seeds
    x, y = samples(p, seeds, device)
    k = int(y.max()) + 1
    net = DeepLinear([x.shape[1]] + [p.width] * depth + [k], seeds, p.init_scale, activation).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=p.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=p.epochs, eta_min=p.lr_min)
    model = f"{activation}-L{depth}"

    last: dict = {}

    def loss_fn(_):  # one full-batch step per epoch; its per-seed losses are what record() reads
        last["values"] = losses(net(x), y, p.loss, p.output_scale)
        return last["values"].sum()

    def record(epoch):  # per-seed losses go into the (checkpointed) history, so resumes keep them
        every = (epoch + 1) % p.record_every == 0 or epoch + 1 == p.epochs
        values = last["values"].detach()  # the epoch's loss before its step, as the authors check it
        done = bool((values < p.tol).all())
        return {"done": float(done), **({f"seed_loss_{i}": v for i, v in enumerate(values.tolist())}
                                        if every or done else {})}

    history = fit(f"dln/progressive/{job}", net, opt, loss_fn, lambda e: [None],
                  p.epochs, Checkpointer(Path(checkpoint), params_hash([spec, job]), p.checkpoint_every),
                  scheduler=sched, on_epoch_end=record, stop=lambda r: r.get("done", 0.0) > 0)
    rows = [row("progressive", model, DATASET, s, h["epoch"], None, "loss", h[f"seed_loss_{i}"], "epoch")
            for h in history if "seed_loss_0" in h for i, s in enumerate(seeds)]
    final = history[-1]["epoch"]
    rows += [row("progressive", model, DATASET, s, final, None, "converged", history[-1]["done"], "epoch")
             for s in seeds]  # 1: every seed's loss fell below tol; 0: stopped at the epoch cap (censored)
    with torch.no_grad():
        # the input (layer 0), every hidden layer and the output (layer depth + 1)
        for layer, f in enumerate(net.features(x)):
            for i, s in enumerate(seeds):
                h = f[i].T  # (N, d_l)
                for name, fn in (("compression", compression), ("discrimination", discrimination)):
                    rows.append(row("progressive", model, DATASET, s, final, layer, name, fn(h, y, k), "epoch"))
    tables.write(tables.frame(rows, params_hash(spec)), out)


# --- the law of parsimony ---

OPTIMIZERS = {
    "gd": lambda params, lr: torch.optim.SGD(params, lr=lr),
    "momentum": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
    "adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
    "rmsprop": lambda params, lr: torch.optim.RMSprop(params, lr=lr),
}


def problem(dim: int, rank: int, inputs: str, samples: int, seed: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs X and targets Y = Phi X: whitened (X = I) or generic Gaussian X (d, samples)."""
    phi = torch.as_tensor(lowrank_target(dim, rank, seed), device=device)  # (d, d)
    if inputs == "whitened":
        x = torch.eye(dim, dtype=torch.float64, device=device)
    else:
        g = torch.Generator().manual_seed(seed + 7)
        x = (torch.randn(dim, samples, generator=g, dtype=torch.float64) / samples**0.5).to(device)
    return x, phi @ x


def subspace_metrics(w_t: np.ndarray, w_T: np.ndarray, tol: float = 1e-6) -> dict[str, float]:
    """Theorem 1 of Yaras et al. (2023): from orthogonal init, GD keeps
    W(t) = U [[W~(t), 0], [0, rho(t) I_(d-2r)]] V^T with U, V fixed. So all but at most 2r
    singular values stay equal to each other (``moving_singular_values`` counts those off the
    cluster at the median, within ``tol`` of the largest), and the cluster's singular subspace does
    not move (largest principal angle to the cluster subspace of W(T), left and right)."""
    u_t, s_t, vt_t = np.linalg.svd(w_t)
    u_T, s_T, vt_T = np.linalg.svd(w_T)
    cluster_t = np.abs(s_t - np.median(s_t)) <= tol * s_t.max()
    cluster_T = np.abs(s_T - np.median(s_T)) <= tol * s_T.max()
    out = {f"sv_{i + 1}": float(v) for i, v in enumerate(s_t)}
    out["moving_singular_values"] = float((~cluster_t).sum())
    if cluster_t.any() and cluster_T.any():  # no cluster at all when every singular value moved
        out["angle_fixed_left_final"] = float(principal_angles(u_t[:, cluster_t], u_T[:, cluster_T]).max())
        out["angle_fixed_right_final"] = float(principal_angles(vt_t[cluster_t].T, vt_T[cluster_T].T).max())
    return out


def progressive_sweep(spec: DlnProgressiveJob, jobs: list[str], outs: list[str], checkpoints: list[str]) -> None:
    """Every (activation, depth) job of the sweep in this one process (:func:`progressive` each)."""
    sweep(progressive, spec, jobs, outs, checkpoints)


def invariant_sweep(spec: DlnInvariantJob, jobs: list[str], outs: list[str], checkpoints: list[str]) -> None:
    """Every (optimizer, inputs) job of the sweep in this one process (:func:`invariant` each)."""
    sweep(invariant, spec, jobs, outs, checkpoints)


def invariant(spec: DlnInvariantJob, job: str, out: str, checkpoint: str) -> None:
    """Train a DLN on a rank-r target with one optimizer; record spectra and subspace angles per step."""
    name, inputs = job.split("-")
    p = spec.invariant
    device = pick_device(spec.device)
    seed = spec.seeds[0]
    x, y = problem(p.dim, p.rank, inputs, p.samples, seed, device)
    net = DeepLinear([p.dim] * (p.depth + 1), [seed], p.init_scale).to(device)
    init = [w.detach()[0].cpu().numpy().copy() for w in net.weights]
    opt = OPTIMIZERS[name](net.parameters(), p.optimizers[name])

    def loss_fn(_):
        return 0.5 * (net(x[None]) - y).pow(2).sum()

    def snapshot(epoch):
        return {"weights": [w.detach()[0].cpu().numpy().copy() for w in net.weights]}

    history = fit(f"dln/invariant/{job}", net, opt, loss_fn, lambda e: [None], p.steps,
                  Checkpointer(Path(checkpoint), params_hash([spec, job]), p.steps), on_epoch_end=snapshot)
    final = history[-1]["weights"]
    rows = []
    for step, weights in [(0, init)] + [(h["epoch"], h["weights"]) for h in history]:
        for layer, (w_t, w_T) in enumerate(zip(weights, final)):
            metrics = subspace_metrics(w_t, w_T)
            if step == 0:  # orthogonal init: one cluster spanning everything, no angle to speak of
                metrics = {m: v for m, v in metrics.items() if not m.startswith("angle")}
            for metric, value in metrics.items():
                rows.append(row("invariant", job, lowrank(p.dim, p.rank), seed, step, layer + 1, metric, value))
        if step:
            rows.append(row("invariant", job, lowrank(p.dim, p.rank), seed, step, None, "loss",
                            history[step - 1]["loss"]))
    tables.write(tables.frame(rows, params_hash(spec)), out)


def _compressed_seed(spec: DlnCompressedJob, seed: int, checkpoint_dir: Path) -> tuple[list, list, dict]:
    """One seed of :func:`compressed`: its rows, timing rows and summary."""
    p = spec.compressed
    device = pick_device(spec.device)
    d, r, depth, eps = p.dim, p.rank, p.depth, p.init_scale
    phi = torch.as_tensor(lowrank_target(d, r, seed), device=device)
    full_net = DeepLinear([d] * (depth + 1), [seed], eps).to(device)
    full = Chain([w.detach()[0] for w in full_net.weights])
    loss0 = 0.5 * (full.product() - phi).pow(2).sum()
    grad_first = torch.autograd.grad(loss0, full.factors[0])[0]
    comp = Chain(compress([f.detach() for f in full.factors], grad_first, r, eps), outer=True)
    g = torch.Generator().manual_seed(seed + 1)
    widths = [d] + [2 * r] * (depth - 1) + [d]
    narrow = Chain([orthogonal((widths[i + 1], widths[i]), eps, g).to(device) for i in range(depth)])
    nets = {"full": full, "compressed": comp, "narrow": narrow}
    ref: dict[int, torch.Tensor] = {}
    rows, timing, summary = [], [], {}
    phi_norm = float(phi.norm())
    for name, net in nets.items():
        opt = torch.optim.SGD(net.param_groups(p.lr, p.gamma))
        clock = {"start": time.perf_counter(), "paused": 0.0}

        def record(epoch, net=net, name=name, clock=clock):
            now = time.perf_counter()
            out_ = {"seconds": now - clock["start"] - clock["paused"]}  # excludes recording itself
            if (epoch + 1) % p.record_every:
                return out_
            with torch.no_grad():
                e2e = net.product()
                out_["error"] = float((e2e - phi).norm()) / phi_norm
                if name == "full":  # kept in the (checkpointed) history for the comparison
                    out_["product"] = e2e.float().cpu()
                elif epoch + 1 in ref:
                    out_["deviation"] = float((e2e.float().cpu() - ref[epoch + 1]).norm()) / phi_norm
            clock["paused"] += time.perf_counter() - now
            return out_

        history = fit(f"dln/compressed/{name}/s{seed}", net, opt, lambda _, net=net: 0.5 * (net.product() - phi).pow(2).sum(),
                      lambda e: [None], p.max_steps,
                      Checkpointer(checkpoint_dir / f"s{seed}-{name}.pt", params_hash([spec, name, seed]), p.max_steps),
                      on_epoch_end=record, stop=lambda h: h["loss"] < p.tol)
        if name == "full":
            ref.update({h["epoch"]: h.pop("product") for h in history if "product" in h})
        for h in history:
            if "error" in h:
                for metric in ("error", "deviation"):
                    if metric in h:
                        rows.append(row("compressed", name, lowrank(d, r), seed, h["epoch"], None, metric, h[metric]))
                rows.append(row("compressed", name, lowrank(d, r), seed, h["epoch"], None, "loss", h["loss"]))
                timing.append(row("compressed", name, lowrank(d, r), seed, h["epoch"], None, "seconds", h["seconds"]))
        last = history[-1]
        timed = [h for h in history if "seconds" in h]
        summary[name] = {"iterations": last["epoch"], "final_loss": last["loss"],
                         "final_error": float((net.product().detach() - phi).norm()) / phi_norm,
                         "seconds": timed[-1]["seconds"] if timed else float("nan"),
                         "seconds_per_iteration": timed[-1]["seconds"] / last["epoch"] if timed else float("nan"),
                         "converged": bool(last["loss"] < p.tol)}
        devs = [h["deviation"] for h in history if "deviation" in h]
        if devs:
            summary[name]["max_deviation_from_full"] = max(devs)
    for name in ("compressed", "narrow"):
        summary[f"speedup_{name}_vs_full"] = summary["full"]["seconds"] / summary[name]["seconds"]
    return rows, timing, summary


def compressed(spec: DlnCompressedJob, out: str, timing_out: str, summary_out: str, checkpoint_dir: str) -> None:
    """Full width vs compressed (width 2r) vs narrow random (width 2r) on a fully observed rank-r
    target, for every seed (its own target and init). The summary keeps the first seed's numbers at
    the top level (the figure's run) and every seed's under ``seeds``."""
    rows, timing, per_seed = [], [], {}
    for seed in spec.seeds:
        r, t, per_seed[str(seed)] = _compressed_seed(spec, seed, Path(checkpoint_dir))
        rows += r
        timing += t
    summary = {**per_seed[str(spec.seeds[0])], "seeds": per_seed}
    tables.write(tables.frame(rows, params_hash(spec)), out)
    tables.write(tables.frame(timing, params_hash(spec)), timing_out)
    write_json(summary_out, summary)
