"""After training: streamed layer statistics, layerwise metrics with fits, transfer probes, tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lowdim import tables
from lowdim.config import params_hash
from lowdim.io import write_atomic, write_json, write_npz
from lowdim.metrics.fits import geometric_fit, linear_fit
from lowdim.studies.collapse.params import CollapseModel, CollapseRun
from lowdim.studies.collapse import row


def features(spec: CollapseRun, run: str, data_path: str, model_path: str, out: str) -> list:
    """Stream every layer's training features into per-class sufficient statistics (two passes); write them to
    ``out`` and return them."""
    import torch

    from lowdim.metrics.streaming import stream
    from lowdim.studies.collapse.experiments import load_trained

    model, ds, _ = load_trained(spec, run, data_path, model_path)

    def batches():
        with torch.no_grad():
            for x, y in ds.batches("train", spec.features.batch_size):
                logits, feats = model(x, features=True)
                yield feats, y, logits

    stats = stream(batches, ds.num_classes, spec.features.max_gram_dim)
    arrays = {"num_layers": np.asarray(len(stats))}
    for layer, s in enumerate(stats):
        arrays.update(s.to_arrays(prefix=f"l{layer}_"))
    write_npz(out, arrays, compressed=False)
    return stats


def metrics(spec: CollapseRun, run: str, stats: list, history_path: str, out: str) -> None:
    """Layerwise NC1, compression, discrimination and numerical rank after training, plus the history."""
    from lowdim.metrics.collapse import layer_metrics

    hist = tables.read(history_path)
    final = int(hist["step"].max())
    rows = [row(run, "layerwise", final, layer, name, value)
            for layer, s in enumerate(stats) for name, value in layer_metrics(s).items()]
    tables.write(tables.concat_frames([hist, tables.frame(rows, params_hash(spec))]), out)


def measure(spec: CollapseRun, run: str, data_path: str, model_path: str, history_path: str, stats_out: str,
            out: str) -> None:
    """:func:`features` then :func:`metrics` of one trained run in one process (one start-up: the metrics are
    a few milliseconds of numpy behind the features' pass), from the statistics in memory; ``stats_out`` keeps
    them (``ClassStats.from_arrays`` reads them back)."""
    metrics(spec, run, features(spec, run, data_path, model_path, stats_out), history_path, out)


def layer_features(model, x, max_dim: int) -> list:
    """Backbone layer outputs, flattened; conv maps larger than ``max_dim`` are average-pooled over space."""
    out = []
    for f in model.backbone(x):
        if f.ndim == 4 and f[0].numel() > max_dim:
            f = f.mean((2, 3))
        out.append(f.flatten(1).float())
    return out


def transfer(spec: CollapseRun, run: str, data_path: str, model_path: str, out: str) -> None:
    """Linear probe on every layer of a model trained on the source classes, fitted on the other
    classes' training split and scored on their test split (Wang et al. 2023, Sec. 6)."""
    import torch
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from lowdim.studies.collapse.experiments import load_trained

    from lowdim.data.tensors import Classification

    model, ds, device = load_trained(spec, run, data_path, model_path)
    all_classes = int(np.load(data_path)["y_train"].max()) + 1
    target = Classification(data_path, device, [k for k in range(all_classes) if k not in spec.classes])
    feats = {}
    with torch.no_grad():
        for split in ("train", "test"):
            per_batch = [(layer_features(model, x, spec.features.max_gram_dim), y)
                         for x, y in target.batches(split, spec.features.batch_size)]
            feats[split] = ([torch.cat([b[0][i] for b in per_batch]).cpu().numpy() for i in range(len(per_batch[0][0]))],
                            torch.cat([b[1] for b in per_batch]).cpu().numpy())
    final = spec.train.epochs
    rows = []
    for layer, (xtr, xte) in enumerate(zip(feats["train"][0], feats["test"][0])):
        scaler = StandardScaler().fit(xtr)
        probe = LogisticRegression(max_iter=1000).fit(scaler.transform(xtr), feats["train"][1])
        acc = probe.score(scaler.transform(xte), feats["test"][1])
        rows.append(row(run, "transfer", final, layer, "transfer_acc", float(acc)))
    tables.write(tables.frame(rows, params_hash(spec)), out)


def layer_fits(g: pd.DataFrame, fit_from: int = 1) -> dict[str, float]:
    """Geometric fit of compression and linear fit of discrimination over layers ``fit_from``.. (one run's rows).

    Wang et al. 2023 (Sec. 5) state the geometric pattern for the later layers of nonlinear nets; a
    fit over fewer than 3 layers cannot fail, so it is reported as NaN.
    """
    out = {"fit_from": fit_from}
    per = g[g["layer"] >= fit_from].pivot_table(index="layer", columns="metric", values="value").sort_index()
    out["fit_layers"] = len(per)
    if len(per) < 3:
        return {**out, "compression_rate": float("nan"), "compression_r2": float("nan"), "discrimination_slope":
                float("nan"), "discrimination_intercept": float("nan"), "discrimination_r2": float("nan")}
    if "compression" in per:
        c = geometric_fit(per.index.to_numpy(float), per["compression"].to_numpy())
        out.update({"compression_rate": c["rate"], "compression_r2": c["r2"]})
    if "discrimination" in per:
        d = linear_fit(per.index.to_numpy(float), per["discrimination"].to_numpy())
        out.update({"discrimination_slope": d["slope"], "discrimination_intercept": d["intercept"],
                    "discrimination_r2": d["r2"]})
    return out


def final_train_acc(df: pd.DataFrame) -> pd.Series:
    """Training accuracy at the last evaluation, per (experiment, dataset, model, seed)."""
    acc = df[(df["metric"] == "train_acc") & df["layer"].isna()].sort_values("step")
    return acc.groupby(["experiment", "dataset", "model", "seed"])["value"].last()


def interpolated(acc: pd.Series, dataset: str, model: str, experiment: str = "training") -> bool:
    """Whether every seed of (dataset, model) ended at zero training error (``acc`` from :func:`final_train_acc`)."""
    sub = acc[(acc.index.get_level_values("experiment") == experiment) & (acc.index.get_level_values("dataset") == dataset)
              & (acc.index.get_level_values("model") == model)]
    return bool(len(sub)) and bool((sub >= 1.0).all())


def aggregate(inputs: list, table_out: str, summary_out: str, curves_out: str,
              models: dict[str, CollapseModel] | None = None) -> None:
    """The study's table, its JSON summary per experiment (DVC metrics) and its layerwise CSV (DVC plots).

    ``models``: params ``collapse.models`` (their ``fit_from`` and ``loss`` go into the summary).
    """
    models = models or {}
    df = tables.concat(inputs)
    tables.write(df, table_out)
    layer = df[df["experiment"].isin(["layerwise"]) & df["layer"].notna()]
    curves = (layer.pivot_table(index=["dataset", "model", "seed", "layer"], columns="metric", values="value")
              .reset_index().sort_values(["dataset", "model", "seed", "layer"]))
    write_atomic(curves_out, lambda tmp: curves.to_csv(tmp, index=False, float_format="%.6g"))
    summary: dict = {"training": {}, "layerwise": {}, "transfer": {}}
    acc = final_train_acc(df)
    for (exp, dataset, model), g in df.groupby(["experiment", "dataset", "model"]):
        key = f"{dataset}/{model}"
        spec = models.get(model.rsplit("-", 1)[0], CollapseModel(fit_from=1, loss=""))
        if exp == "training":
            last = g[g["step"] == g["step"].max()].groupby("metric")["value"].mean()
            summary["training"][key] = {k: float(v) for k, v in last.items()}
        elif exp == "layerwise":
            fits = [layer_fits(s, spec.fit_from) for _, s in g.groupby("seed")]
            nc1 = g[g["metric"] == "nc1"].groupby("layer")["value"].mean()
            summary["layerwise"][key] = {**pd.DataFrame(fits).mean().to_dict(), "nc1_last_layer": float(nc1.iloc[-1]),
                                         "loss": spec.loss, "interpolated": interpolated(acc, dataset, model)}
        elif exp == "transfer":
            tacc = g[g["metric"] == "transfer_acc"].groupby("layer")["value"].mean()
            if len(tacc):
                summary["transfer"][key] = {"best_layer": int(tacc.idxmax()), "best_acc": float(tacc.max()),
                                            "last_layer_acc": float(tacc.iloc[-1]), "num_layers": int(len(tacc))}
    write_json(summary_out, summary)
