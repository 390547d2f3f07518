"""Progressive compression and discrimination across the layers of deep linear (and ReLU) networks
trained by full-batch gradient descent (Wang et al. 2023, Sec. 3-4), on the authors' setup
(Heimine/PNC_DLN, ``assumption/``): nearly orthonormal samples, scaled orthogonal init, outputs
scaled by ``output_scale`` in the MSE, GD until the loss is below ``tol``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from lowdim import tables
from lowdim.config import params_hash
from lowdim.data.synthetic import orthogonal_samples
from lowdim.metrics import compression, discrimination
from lowdim.models.linear import DeepLinear
from lowdim.studies.dln import row
from lowdim.train import Checkpointer, fit, pick_device

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


def samples(p: dict, seeds: list[int], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Every seed's own draw of the data (the authors seed data and init together): (S, d, N), (N,)."""
    draws = [orthogonal_samples(**p["data"], seed=s) for s in seeds]
    x = torch.as_tensor(np.stack([d["x"].T for d in draws]), dtype=torch.float64, device=device)  # (S, d, N)
    return x, torch.as_tensor(draws[0]["y"], device=device).long()


def progressive(spec: dict, job: str, out: str, checkpoint: str) -> None:
    """Train every seed of one (activation, depth) job as one batched network; log per-layer metrics."""
    activation, depth = job.split("-L")
    depth = int(depth)
    p = spec["progressive"]
    device = pick_device(spec["device"])
    seeds = spec["seeds"]
    x, y = samples(p, seeds, device)
    k = int(y.max()) + 1
    net = DeepLinear([x.shape[1]] + [p["width"]] * depth + [k], seeds, p["init_scale"], activation).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=p["lr"])
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=p["epochs"], eta_min=p["lr_min"])
    model = f"{activation}-L{depth}"

    last: dict = {}

    def loss_fn(_):  # one full-batch step per epoch; its per-seed losses are what record() reads
        last["values"] = losses(net(x), y, p["loss"], p["output_scale"])
        return last["values"].sum()

    def record(epoch):  # per-seed losses go into the (checkpointed) history, so resumes keep them
        every = (epoch + 1) % p["record_every"] == 0 or epoch + 1 == p["epochs"]
        values = last["values"].detach()  # the epoch's loss before its step, as the authors check it
        done = bool((values < p["tol"]).all())
        return {"done": float(done), **({f"seed_loss_{i}": v for i, v in enumerate(values.tolist())}
                                        if every or done else {})}

    history = fit(f"dln/progressive/{job}", net, opt, loss_fn, lambda e: [None],
                  p["epochs"], Checkpointer(Path(checkpoint), params_hash([spec, job]), p["checkpoint_every"]),
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
