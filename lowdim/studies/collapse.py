"""The neural-collapse study: train a classifier, stream its features, measure collapse per layer.

Steps (each a thin Snakemake rule): ``train`` -> ``features`` -> ``metrics`` ->
``aggregate`` -> ``figures``. A run is one (dataset, seed); its parameters arrive as one
JSON spec (``model``, ``train``, ``features``, ``device``), whose hash is the run's identity.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from lowdim import data, tables
from lowdim.config import params_hash
from lowdim.io import write_atomic, write_json, write_npz
from lowdim.metrics.streaming import ClassStats, layer_metrics, stream
from lowdim.models import build
from lowdim.train import Checkpointer, fit, pick_device, seed_everything
from lowdim.train.loop import index_batches

STUDY = "collapse"
EXPERIMENT = "layerwise"


def model_name(model: dict) -> str:
    bn = "-bn" if model["batch_norm"] else ""
    return f"{model['arch']}-d{model['depth']}-w{model['width']}{bn}"


class Classification:
    """A prepared classification set resident on ``device``, standardized by train statistics.

    Images stay uint8 on the device and are converted per batch.
    """

    def __init__(self, path: str | Path, device: torch.device):
        d = data.load(path)
        self.device = device
        self.x = {s: torch.as_tensor(d[f"x_{s}"], device=device) for s in ("train", "test")}
        self.y = {s: torch.as_tensor(d[f"y_{s}"], device=device).long() for s in ("train", "test")}
        train = torch.as_tensor(d["x_train"]).double()
        self.mean, self.std = float(train.mean()), float(train.std())
        self.num_classes = int(max(self.y["train"].max(), self.y["test"].max())) + 1
        self.in_shape = tuple(d["x_train"].shape[1:])

    def inputs(self, split: str, idx: torch.Tensor) -> torch.Tensor:
        return (self.x[split][idx].float() - self.mean) / self.std

    def batches(self, split: str, batch_size: int):
        n = self.y[split].numel()
        for start in range(0, n, batch_size):
            idx = torch.arange(start, min(n, start + batch_size), device=self.device)
            yield self.inputs(split, idx), self.y[split][idx]


def _make(spec: dict, ds: Classification, device: torch.device, seed: int):
    seed_everything(seed)
    m = spec["model"]
    model = build(m["arch"], ds.in_shape, ds.num_classes, depth=m["depth"], width=m["width"],
                  batch_norm=m["batch_norm"]).to(device)
    return model


def _accuracy(model, ds: Classification, split: str, batch_size: int = 2048) -> float:
    correct = sum(int((model(x).argmax(1) == y).sum()) for x, y in ds.batches(split, batch_size))
    return correct / ds.y[split].numel()


def train(spec: dict, dataset: str, seed: int, data_path: str, model_out: str, history_out: str, checkpoint: str) -> None:
    device = pick_device(spec["device"])
    ds = Classification(data_path, device)
    model = _make(spec, ds, device, seed)
    t = spec["train"]
    if t["optimizer"] == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=t["lr"], momentum=t["momentum"], weight_decay=t["weight_decay"])
    else:
        opt = torch.optim.Adam(model.parameters(), lr=t["lr"], weight_decay=t["weight_decay"])
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=t["epochs"])
    n = ds.y["train"].numel()
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")

    def loss_fn(idx):
        with autocast:
            return F.cross_entropy(model(ds.inputs("train", idx)), ds.y["train"][idx]).float()

    def evaluate(epoch):
        return {"train_acc": _accuracy(model, ds, "train"), "test_acc": _accuracy(model, ds, "test")}

    run = f"{STUDY}/{dataset}/s{seed}"
    history = fit(
        run, model, opt, loss_fn, lambda e: index_batches(n, t["batch_size"], seed, e, device),
        t["epochs"], Checkpointer(Path(checkpoint), params_hash([spec, dataset, seed]), t["checkpoint_every"]),
        scheduler=sched, on_epoch_end=evaluate,
    )
    write_atomic(model_out, lambda tmp: torch.save(model.state_dict(), tmp))
    rows = [
        _row(spec, dataset, seed, h["epoch"], None, metric, h[metric])
        for h in history for metric in ("loss", "train_acc", "test_acc")
    ]
    tables.write(tables.frame(rows, params_hash(spec)), history_out)


def _row(spec, dataset, seed, step, layer, metric, value) -> dict:
    return {"study": STUDY, "experiment": EXPERIMENT, "model": model_name(spec["model"]), "dataset": dataset,
            "seed": seed, "step": step, "step_unit": "epoch", "layer": layer, "metric": metric, "value": value}


def features(spec: dict, seed: int, data_path: str, model_path: str, out: str, split: str = "train") -> None:
    """Stream every layer's features of ``split`` through per-class statistics (two passes)."""
    device = pick_device(spec["device"])
    ds = Classification(data_path, device)
    model = _make(spec, ds, device, seed)
    model.load_state_dict(torch.load(model_path, map_location=device, weights_only=True))
    model.eval()

    def batches():
        with torch.no_grad():
            for x, y in ds.batches(split, spec["features"]["batch_size"]):
                logits, feats = model(x, features=True)
                yield feats, y

    stats = stream(batches, ds.num_classes)
    arrays = {"num_layers": np.asarray(len(stats))}
    for layer, s in enumerate(stats):
        arrays.update(s.to_arrays(prefix=f"l{layer}_"))
    write_npz(out, arrays, compressed=False)


def metrics(spec: dict, dataset: str, seed: int, stats_path: str, history_path: str, out: str) -> None:
    hist = tables.read(history_path)
    final = int(hist["step"].max())
    with np.load(stats_path) as z:
        stats = [ClassStats.from_arrays(z, prefix=f"l{i}_") for i in range(int(z["num_layers"]))]
    rows = [
        _row(spec, dataset, seed, final, layer, name, value)
        for layer, s in enumerate(stats) for name, value in layer_metrics(s).items()
    ]
    df = pd.concat([hist, tables.frame(rows, params_hash(spec))], ignore_index=True)
    tables.write(df.sort_values(tables.KEY, kind="stable", na_position="first").reset_index(drop=True), out)


def aggregate(inputs: list[str], table_out: str, summary_out: str, curves_out: str) -> None:
    """Concatenate the runs' tables; write the DVC metrics JSON and plots CSV."""
    df = tables.concat(inputs)
    tables.write(df, table_out)
    layer = df[df["layer"].notna()]
    curves = (layer.pivot_table(index=["dataset", "seed", "layer"], columns="metric", values="value")
              .reset_index().sort_values(["dataset", "seed", "layer"]))
    write_atomic(curves_out, lambda tmp: curves.to_csv(tmp, index=False, float_format="%.6g"))
    summary = {}
    for dataset, g in df.groupby("dataset"):
        last = g[g["layer"].isna() & (g["step"] == g["step"].max())].groupby("metric")["value"].mean()
        nc1 = g[g["metric"] == "nc1"].groupby("layer")["value"].mean()
        summary[dataset] = {
            "train_acc": float(last["train_acc"]), "test_acc": float(last["test_acc"]),
            "nc1_input": float(nc1.iloc[0]), "nc1_penultimate": float(nc1.iloc[-1]),
            "nc1_drop_factor": float(nc1.iloc[0] / nc1.iloc[-1]),
        }
    write_json(summary_out, summary)


def figures(table: str, out_pdf: str, out_png: str) -> None:
    """Layerwise NC1, compression and discrimination (mean and range over seeds)."""
    import matplotlib.pyplot as plt

    from lowdim.figures import save

    df = tables.read(table)
    layer = df[df["layer"].notna()]
    titles = {
        "nc1": r"NC1 = tr$(\Sigma_W\Sigma_B^+)/K$",
        "compression": r"compression tr$(\Sigma_W)$/tr$(\Sigma_B)$",
        "discrimination": r"discrimination $1-\max\cos(\mu_k,\mu_{k'})$",
    }
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), constrained_layout=True)
    for ax, (metric, title) in zip(axes, titles.items()):
        for (dataset, model), g in layer[layer["metric"] == metric].groupby(["dataset", "model"]):
            s = g.groupby("layer")["value"].agg(["mean", "min", "max"])
            x = s.index.astype(int)
            ax.plot(x, s["mean"], marker="o", label=f"{dataset} ({model})")
            ax.fill_between(x, s["min"], s["max"], alpha=0.2)
        if metric != "discrimination":
            ax.set_yscale("log")
        ax.set_xlabel("layer (0 = input)")
        ax.set_title(title)
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[0].legend(fontsize=8)
    seeds = layer["seed"].nunique()
    fig.suptitle(f"Layerwise collapse of train features after training ({seeds} seed(s); band = range)")
    save(fig, out_pdf, out_png)

