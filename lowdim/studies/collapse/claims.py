"""The neural-collapse study's claims (Papyan et al. 2020; Yaras et al. 2022; Wang et al. 2023)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lowdim.claims.verdicts import ClaimSet, Evidence, MissingEvidence, every_run, no_evidence, require
from lowdim.studies.collapse import reference

CLAIMS = ClaimSet("collapse")


def per_dataset(check):
    """A claim evaluated on each dataset of the collapse table by itself: one scorecard row per dataset,
    ``<claim>[<dataset>]`` (MNIST-5k, MNIST-1D and CIFAR-10 answer separately; a dataset without the runs the
    claim compares gets a "no evidence" row saying which)."""
    def wrapped(ev, th):
        table, summary = ev.table("collapse"), ev.summary("collapse")
        out = {}
        for d in sorted(table["dataset"].unique()):
            view = Evidence({**ev.tables, "collapse": table[table["dataset"] == d]},
                            {**ev.summaries, "collapse": {exp: {k: v for k, v in runs.items() if k.split("/")[0] == d}
                                                          for exp, runs in summary.items()}})
            try:
                out[d] = check(view, th)
            except MissingEvidence as e:
                out[d] = no_evidence("its runs on this dataset", str(e))
        return out
    wrapped.__doc__ = check.__doc__
    return wrapped


def _runs(df: pd.DataFrame, experiment: str, metric: str) -> pd.DataFrame:
    sub = df[(df["experiment"] == experiment) & (df["metric"] == metric) & df["layer"].isna()]
    return sub.sort_values("step")


def _by_run(df: pd.DataFrame, experiment: str, metric: str):
    return _runs(df, experiment, metric).groupby(["dataset", "model", "seed"])


def _name(key) -> str:
    return "/".join(map(str, key))


def _at_zero_error(df: pd.DataFrame, experiment: str = "training") -> tuple[set, list[str]]:
    """Runs whose last evaluation has zero training error (neural collapse is a terminal-phase property,
    Papyan et al. 2020), and a note per run that never got there (listed under the claim, not counted)."""
    last = {k: g["value"].iloc[-1] for k, g in _by_run(df, experiment, "train_acc")}
    return ({k for k, v in last.items() if v >= 1.0},
            [f"{_name(k)} (final train accuracy {v:.4f})" for k, v in last.items() if v < 1.0])


def _not_counted(notes: list[str]) -> str:
    return "; not at zero training error, not counted: " + ", ".join(notes) if notes else ""


@CLAIMS.claim("nc1_falls", "Papyan et al. 2020", "Fig. 6",
              "NC1 = tr(Sigma_W Sigma_B^+)/K of the last-layer features falls by a large factor from the initialization "
              "to the end of training.",
              paper_value=("no number in the text: Papyan et al. plot it on a log axis over 350 epochs (Fig. 6, 7 datasets "
                           "x 3 nets); not read off the plot here"))
def _nc1_falls(ev, th):
    df = ev.rows("collapse", "training")
    keep, outside = _at_zero_error(df)
    runs = _by_run(df, "training", "nc1")
    start = runs.apply(lambda g: g[g["step"] == 0]["value"].iloc[0] if (g["step"] == 0).any() else np.nan)
    ratio = (start / runs["value"].last())
    ratio = ratio[[k in keep for k in ratio.index]].sort_values()
    expected = f"NC1(init) / NC1(end) >= {th['nc1_drop']:g} in every run at zero training error"
    if ratio.empty:
        return no_evidence(expected, "no run at zero training error" + _not_counted(outside))
    if ratio.isna().any():
        return no_evidence(expected, "no epoch-0 NC1 in " + ", ".join(_name(k) for k in ratio[ratio.isna()].index))
    return every_run({_name(k): v for k, v in ratio.items()}, lambda v: v >= th["nc1_drop"], expected,
                     f"median {ratio.median():.3g}x" + _not_counted(outside))


@CLAIMS.claim("nc1_falls_in_tpt", "Papyan et al. 2020", "Sec. 1, Fig. 6",
              "In the terminal phase of training (after training error reaches zero) NC1 keeps falling.",
              paper_value=("no number in the text: Papyan et al. plot it on a log axis over 350 epochs (Fig. 6: it keeps "
                           "falling after the TPT onset); not read off the plot here"))
def _nc1_tpt(ev, th):
    df = ev.rows("collapse", "training")
    acc = {k: g.set_index("step")["value"] for k, g in _by_run(df, "training", "train_acc")}
    factors, notes, outside = {}, [], []
    for key, g in _by_run(df, "training", "nc1"):
        a = acc.get(key)
        zero = a[a >= 1.0].index if a is not None else []
        if not len(zero):
            outside.append(f"{_name(key)} (train accuracy {a.max():.4f})" if a is not None else _name(key))
            continue
        nc1 = g.set_index("step")["value"]
        onset, last = int(zero[0]), int(nc1.index.max())
        if onset == last:
            outside.append(f"{_name(key)} (reached zero error only at the last epoch)")
            continue
        factors[key] = float(nc1.loc[onset] / nc1.loc[last])
        notes.append(f"{_name(key)}: {factors[key]:.2f}x from epoch {onset} to {last}")
    expected = "NC1(TPT onset) / NC1(end) > 1 in every run that reaches zero training error"
    if not factors:
        return no_evidence(expected, "no run reached zero training error: " + ", ".join(outside))
    extra = "; never at zero training error (not counted): " + ", ".join(outside) if outside else ""
    return every_run({_name(k): v for k, v in factors.items()}, lambda v: v > 1, expected, "; ".join(notes) + extra)


@CLAIMS.claim("nc234_fall", "Papyan et al. 2020", "Figs. 2-5",
              "NC2 (simplex ETF), NC3 (self-duality) and NC4 (nearest class centre) fall from the initialization to the end "
              "of training.",
              paper_value=("no number in the text: Papyan et al. plot it on a log axis over 350 epochs (Figs. 2-5); not "
                           "read off the plot here"))
def _nc234_fall(ev, th):
    df = ev.rows("collapse", "training")
    keep, outside = _at_zero_error(df)
    ratios: dict[str, float] = {}  # per run: the smallest of NC2, NC3, NC4's init / end
    for metric in ("nc2", "nc3", "nc4"):
        for key, g in _by_run(df, "training", metric):
            if key in keep:
                r = g["value"].iloc[0] / g["value"].iloc[-1] if g["step"].iloc[0] == 0 else float("nan")
                ratios[_name(key)] = min(ratios.get(_name(key), np.inf), r)
    return every_run(ratios, lambda v: v > 1, "min over NC2-NC4 of value(init) / value(end) > 1 in every run at zero "
                     "training error", _not_counted(outside).lstrip("; "))


@CLAIMS.claim("normalized_faster", "Yaras et al. 2022", "Sec. 4, Fig. 3",
              "With cross-entropy on both heads, features normalized onto the sphere reach a given NC1 in fewer epochs than "
              "the regularized standard head.",
              paper_value=("no number in the text (Fig. 3 plots NC1 against epochs for both heads; not read off). Their "
                           "runs (cjyaras/normalized-neural-collapse experiments/fastcollapse.sh): CIFAR-100, 30 images a "
                           "class, ResNet18, 100 epochs, SGD 0.05 momentum 0.9, lr x0.1 every 40 epochs, tau = 1; their "
                           "code puts the classifier rows back on the sphere after every step in both runs"))
@per_dataset
def _normalized_faster(ev, th):
    runs = _runs(ev.rows("collapse", "training"), "training", "nc1")
    speedups, pairs = {}, []
    for (dataset, seed, arch), g in runs.assign(arch=runs["model"].str.rsplit("-", n=1).str[0]).groupby(["dataset", "seed", "arch"]):
        std, nrm = g[g["model"] == f"{arch}-standard"], g[g["model"] == f"{arch}-normalized"]
        if std.empty or nrm.empty:
            continue
        level = std["value"].iloc[-1]
        first = nrm[nrm["value"] <= level]["step"]
        t_nrm = int(first.iloc[0]) if len(first) else np.inf
        t_std = int(std[std["value"] <= level]["step"].iloc[0])
        speedups[f"{dataset}/{arch}/{seed}"] = t_std / t_nrm if t_nrm > 0 else np.inf
        pairs.append(f"{dataset}/{arch}/{seed}: {t_nrm} vs {t_std}")
    require(bool(pairs), "no dataset and architecture trained with both heads (standard and normalized)")
    return every_run(speedups, lambda v: v > 1, "epochs(standard) / epochs(normalized) to the standard head's final NC1 "
                     "> 1 for every dataset, architecture and seed",
                     "epochs, normalized vs standard: " + "; ".join(pairs))


@CLAIMS.claim("nonlinear_geometric_compression", "Wang et al. 2023", "Sec. 5, Fig. 5",
              "Nonlinear networks trained on Wang et al.'s recipe (MSE, small orthogonal init) to zero training error "
              "compress geometrically across their later layers.",
              paper_value=reference.paper_value())
@per_dataset
def _nl_comp(ev, th):
    lw = ev.summary("collapse")["layerwise"]
    runs = {k: v for k, v in lw.items() if k.endswith("-standard") and v.get("loss") == "mse"}
    expected = f"R^2 >= {th['fit_r2']:g} and rate < 1 from layer fit_from on, every MSE run at zero training error"
    if not runs:
        return no_evidence(expected, "no standard-head MSE model in the run")
    counted = {k: v for k, v in runs.items() if v["interpolated"] and v["fit_layers"] >= 3}
    skipped = [f"{k} ({'not at zero training error' if not v['interpolated'] else 'fewer than 3 layers'})"
               for k, v in runs.items() if k not in counted]
    extra = "; not counted: " + ", ".join(skipped) if skipped else ""
    if not counted:
        return no_evidence(expected, "no run qualifies" + extra)
    # a rate >= 1 fails the run whatever its R^2 (its value then counts as R^2 = -inf)
    r2 = {k: v["compression_r2"] if v["compression_rate"] < 1 else -np.inf for k, v in counted.items()}
    return every_run(r2, lambda v: v >= th["fit_r2"], expected,
                     "; ".join(f"{k}: rate {v['compression_rate']:.3g}, R^2 {v['compression_r2']:.3f} "
                               f"(layers {v['fit_from']:.0f}+)" for k, v in counted.items()) + extra + _our_cl(ev, counted))


def _our_cl(ev, counted: dict) -> str:
    """On CIFAR-10, our C_l per layer (mean over seeds) beside the paper's number (Wang et al.'s, on CIFAR-10)."""
    df = ev.table("collapse")
    df = df[(df["experiment"] == "layerwise") & (df["metric"] == "compression") & df["dataset"].str.startswith("cifar10")
            & (df["layer"] >= 1)]
    out = []
    for (dataset, model), g in df.groupby(["dataset", "model"]):
        if f"{dataset}/{model}" in counted:
            cl = g.groupby("layer")["value"].mean()
            out.append(f"{dataset}/{model} C_l layers 1-{int(cl.index.max())}: " + ", ".join(f"{v:.3g}" for v in cl))
    return "; ours: " + "; ".join(out) if out else ""


@CLAIMS.claim("transfer_less_collapsed", "Wang et al. 2023", "Sec. 6 (projection heads)",
              "Features closer to the last layer are more collapsed and transfer worse: over the last hidden layers, the "
              "less compressed a layer (larger C_l = tr(Sigma_W)/tr(Sigma_B) on the source classes), the better its "
              "linear probe on held-out classes.",
              paper_value=("Wang et al.'s projection-head figure, read off the plot: transfer accuracy ~60.0, 64.6, 65.6, "
                           "66.3, 67.1 % with 1-5 projection-head layers while the feature's C_l grows ~0.009, 0.028, "
                           "0.045, 0.08, 0.12 (that figure's source and target datasets not found)"))
@per_dataset
def _transfer(ev, th):
    from scipy.stats import spearmanr

    df = ev.rows("collapse", "transfer")
    keep, outside = _at_zero_error(df, "transfer")
    n = int(th["transfer_layers"])
    sub = df[(df["experiment"] == "transfer") & (df["layer"] >= 1)]
    rhos = {}
    for key, g in sub.groupby(["dataset", "model", "seed"]):
        if key not in keep:
            continue
        piv = g.pivot_table(index="layer", columns="metric", values="value").dropna(subset=["compression", "transfer_acc"])
        last = piv.tail(n)
        rhos[key] = (float(spearmanr(last["compression"], last["transfer_acc"]).statistic),
                     f"layers {int(last.index[0])}-{int(last.index[-1])}: probe {last['transfer_acc'].iloc[0]:.3f} -> "
                     f"{last['transfer_acc'].iloc[-1]:.3f}, C {last['compression'].iloc[0]:.3g} -> {last['compression'].iloc[-1]:.3g}")
    expected = f"Spearman rho(C_l, probe accuracy) > 0 over the last {n} hidden layers of every transfer run"
    if not rhos:
        return no_evidence(expected, "no transfer run at zero training error" + _not_counted(outside))
    return every_run({_name(k): v[0] for k, v in rhos.items()}, lambda v: v > 0, expected,
                     "; ".join(f"{_name(k)}: rho {v[0]:.2f} ({v[1]})" for k, v in rhos.items()) + _not_counted(outside))
