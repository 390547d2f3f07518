"""Training a classifier to the terminal phase, measuring NC1-NC4 along the way."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from lowdim import tables
from lowdim.config import params_hash
from lowdim.data.tensors import Classification
from lowdim.io import write_torch
from lowdim.metrics.collapse import collapse_metrics
from lowdim.metrics.streaming import stream
from lowdim.models import build
from lowdim.studies.collapse import STUDY, parse_run, row
from lowdim.studies.collapse.params import CollapseRun
from lowdim.train import Checkpointer, fit, pick_device, seed_everything
from lowdim.train.loop import index_batches


def load_data(spec: CollapseRun, data_path: str) -> tuple[Classification, torch.device]:
    device = pick_device(spec.device)
    return Classification(data_path, device, spec.classes, spec.model.per_class), device


def make_model(spec: CollapseRun, ds: Classification, device: torch.device, seed: int):
    seed_everything(seed)
    model = build(spec.model, ds.in_shape, ds.num_classes, spec.head, spec.temperature).to(device)
    if device.type == "cuda" and len(ds.in_shape) == 3:
        model = model.to(memory_format=torch.channels_last)
    return model


def loss_of(kind: str, logits: torch.Tensor, y: torch.Tensor, output_scale: float = 1.0) -> torch.Tensor:
    """Cross-entropy of ``output_scale * z``, or the MSE of Wang et al. (PNC_DLN ``loss_fn``):
    sum_n |output_scale * z_n - e_y|^2 / B over a batch of B (they scale outputs by 100)."""
    z = output_scale * logits
    if kind == "ce":
        return F.cross_entropy(z, y)
    return (z - F.one_hot(y, logits.shape[1]).to(logits.dtype)).pow(2).sum(1).mean()


def head_decay(model, h: torch.Tensor, decay: float) -> torch.Tensor:
    """The regularized standard head of Yaras et al. 2022 (their ``GeneralizedModel``): classifier and
    feature decay, decay/2 |W|_F^2 + decay/2 sum_batch |h|^2, added to the batch loss."""
    return 0.5 * decay * (model.head.weight.pow(2).sum() + h.pow(2).sum())


def scheduler(opt: torch.optim.Optimizer, kind: str, epochs: int, milestones: list[float], lr_min_ratio: float):
    """``step``: lr x0.1 at the given fractions of training (Papyan et al. 2020: 1/3 and 2/3);
    ``cosine``: cosine from lr to lr * lr_min_ratio (Wang et al. 2023: lr/100)."""
    if kind == "step":
        return torch.optim.lr_scheduler.MultiStepLR(opt, sorted({max(1, round(f * epochs)) for f in milestones}), 0.1)
    lr = opt.param_groups[0]["lr"]
    return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs, eta_min=lr * lr_min_ratio)


def evaluate(model, ds: Classification, batch_size: int) -> dict[str, float]:
    """Train/test accuracy and NC1-NC4 of the classifier's input on the training set."""
    def batches():
        for x, y in ds.batches("train", batch_size):
            logits, feats = model(x, features=True)
            yield [feats[-1].float()], y, logits.float()

    stats = stream(batches, ds.num_classes)[0]
    acc = {}
    for split in ("train", "test"):
        correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in ds.batches(split, batch_size))
        acc[f"{split}_acc"] = correct / ds.size(split)
    w = model.head.classifier().detach().double().cpu().numpy()  # (K, d)
    return {**acc, **collapse_metrics(stats, w)}


def train(spec: CollapseRun, run: str, data_path: str, model_out: str, history_out: str, checkpoint: str) -> None:
    """Train one run to the end of its schedule (resuming from its checkpoint) and log its history."""
    seed = parse_run(run)["seed"]
    ds, device = load_data(spec, data_path)
    model = make_model(spec, ds, device, seed)
    t, m = spec.train, spec.model
    if t.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=m.lr, momentum=t.momentum, weight_decay=m.weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=m.lr, weight_decay=m.weight_decay)
    if spec.head == "normalized" or m.unit_rows:  # classifier rows back on the sphere after every step (the
        opt.register_step_post_hook(lambda *_: model.head.renormalize())  # authors' standard runs too: unit_rows)
    sched = scheduler(opt, m.schedule, t.epochs, t.milestones, t.lr_min_ratio)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")
    decay = m.feature_decay if spec.head == "standard" else 0.0

    def loss_fn(idx):
        with autocast:
            h = model.backbone(ds.inputs("train", idx))[-1]
            logits = model.head(h)
        loss = loss_of(m.loss, logits.float(), ds.y["train"][idx], m.output_scale)
        return loss + head_decay(model, h.float(), decay) if decay else loss

    def on_epoch_end(epoch):  # epoch -1: before training (the initialization)
        last = epoch + 1 == t.epochs
        return evaluate(model, ds, 2048) if (epoch + 1) % t.eval_every == 0 or last else {}

    history = fit(
        f"{STUDY}/{run}", model, opt, loss_fn,
        lambda e: index_batches(ds.size("train"), t.batch_size, seed, e, device), t.epochs,
        Checkpointer(Path(checkpoint), params_hash([spec, run]), t.checkpoint_every),
        scheduler=sched, on_epoch_end=on_epoch_end, evaluate_start=True,
    )
    write_torch(model_out, model.state_dict())
    rows = [row(run, "training", h["epoch"], None, k, v) for h in history for k, v in h.items()
            if k not in ("epoch", "step") and np.isfinite(v)]
    tables.write(tables.frame(rows, params_hash(spec)), history_out)


def load_trained(spec: CollapseRun, run: str, data_path: str, model_path: str):
    ds, device = load_data(spec, data_path)
    model = make_model(spec, ds, device, parse_run(run)["seed"])
    model.load_state_dict(torch.load(model_path, map_location=device, weights_only=True))
    return model.eval(), ds, device
