"""Progressive compression and discrimination across the layers of deep linear (and ReLU) networks
trained by full-batch gradient descent (Wang et al. 2023, Sec. 3-4)."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from lowdim import data, tables
from lowdim.config import params_hash
from lowdim.metrics import compression, discrimination
from lowdim.models.linear import DeepLinear
from lowdim.studies.dln import row
from lowdim.train import Checkpointer, fit, pick_device


def losses(out: torch.Tensor, y: torch.Tensor, kind: str) -> torch.Tensor:
    """Per-network loss (S,) of outputs ``out`` (S, K, N): 0.5 * mean_n |z_n - e_y|^2, or cross-entropy."""
    if kind == "mse":
        target = F.one_hot(y, out.shape[1]).T.to(out.dtype)  # (K, N)
        return 0.5 * (out - target).pow(2).sum(1).mean(1)
    return torch.stack([F.cross_entropy(o.T, y) for o in out])


def progressive(spec: dict, job: str, data_path: str, out: str, checkpoint: str) -> None:
    """Train every seed of one (activation, depth) job as one batched network; log per-layer metrics."""
    activation, depth = job.split("-L")
    depth = int(depth)
    p = spec["progressive"]
    device = pick_device(spec["device"])
    d = data.load(data_path)
    x = torch.as_tensor(d["x_train"], dtype=torch.float64, device=device).T[None]  # (1, d, N)
    y = torch.as_tensor(d["y_train"], device=device).long()
    k = int(y.max()) + 1
    seeds = spec["seeds"]
    net = DeepLinear([x.shape[1]] + [p["width"]] * depth + [k], seeds, p["init_scale"], activation).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=p["lr"])
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=p["epochs"], eta_min=p["lr_min"])
    model = f"{activation}-L{depth}"

    def record(epoch):  # per-seed losses go into the (checkpointed) history, so resumes keep them
        if (epoch + 1) % p["record_every"] and epoch + 1 != p["epochs"]:
            return {}
        return {f"seed_loss_{i}": v for i, v in enumerate(losses(net(x), y, p["loss"]).tolist())}

    history = fit(f"dln/progressive/{job}", net, opt, lambda _: losses(net(x), y, p["loss"]).sum(), lambda e: [None],
                  p["epochs"], Checkpointer(Path(checkpoint), params_hash([spec, job]), p["checkpoint_every"]),
                  scheduler=sched, on_epoch_end=record)
    rows = [row("progressive", model, "gaussian_mixture", s, h["epoch"], None, "loss", h[f"seed_loss_{i}"], "epoch")
            for h in history if "seed_loss_0" in h for i, s in enumerate(seeds)]
    with torch.no_grad():
        feats = net.features(x)[:-1]  # input and hidden layers; the head's output is not a feature
        for layer, f in enumerate(feats):
            for i, s in enumerate(seeds):
                h = f[min(i, f.shape[0] - 1)].T  # (N, d_l)
                for name, fn in (("compression", compression), ("discrimination", discrimination)):
                    rows.append(row("progressive", model, "gaussian_mixture", s, p["epochs"], layer, name, fn(h, y, k),
                                    "epoch"))
    tables.write(tables.frame(rows, params_hash(spec)), out)

