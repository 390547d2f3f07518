"""The reproduction scorecard: every paper claim re-derived from the study tables.

A claim is a named function over the evidence (each study's Parquet table and the summary
derived from it) and the thresholds in ``params.yaml`` (``claims``); it returns what it
measured, what the paper leads one to expect, and whether the run bears the claim out.
Nothing here is hard-coded to pass: every claim has a unit test with a hand-made table on
which it must pass and one on which it must fail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from lowdim import tables
from lowdim.io import write_atomic, write_json


@dataclass
class Evidence:
    tables: dict[str, pd.DataFrame]
    summaries: dict[str, dict]


@dataclass(frozen=True)
class Result:
    """What a claim measured: the centre over its seeds (or runs), the interval its verdict is stated on,
    and the verdict itself ("yes", "no", "not resolved", "no evidence")."""

    measured: float
    expected: str
    verdict: str
    detail: str
    n: int = 0
    low: float = float("nan")
    high: float = float("nan")
    method: str = ""

    @property
    def passed(self) -> bool:
        return self.verdict == "yes"

    @property
    def stated(self) -> str:
        """Its centre and interval, as the detail of :func:`over_seeds` states them."""
        return _stated(self.measured, self.low, self.high, self.method, self.n)


def no_evidence(expected: str, detail: str) -> Result:
    return Result(float("nan"), expected, "no evidence", detail)


def _stated(mean: float, low: float, high: float, method: str, n: int) -> str:
    """A mean over seeds with its interval: "+0.071 [-0.012, +0.124] (bootstrap 95%, 5 seeds)"; one seed
    has none: "+0.050 (one seed, no interval)"."""
    if n == 1:
        return f"{mean:+.3f} (one seed, no interval)"
    return f"{mean:+.3f} [{low:+.3f}, {high:+.3f}] ({method}, {n} seeds)"


def over_seeds(values, expected: str, detail: str) -> Result:
    """A claim on the mean over seeds of a per-seed margin (positive = the paper's direction): yes when the
    whole 95% interval is above 0, no when below, not resolved when it holds 0 (lowdim.metrics.stats)."""
    from lowdim.metrics.stats import interval, verdict

    iv = interval(pd.Series(values, dtype=float).dropna())
    v = verdict(iv)
    if v == "no evidence":
        return no_evidence(expected, detail)
    r = Result(iv["mean"], expected, v, detail, iv["n"], iv["low"], iv["high"], iv["method"])
    return replace(r, detail=f"{r.stated}; {v}; {detail}")


def every_run(values: dict, passes: Callable[[float], bool], expected: str, detail: str, unit: str = "runs") -> Result:
    """A claim that must hold in every run (seed, dataset, rank, ...): the interval is the range over the runs;
    yes when every run passes, no when none does, not resolved when the runs disagree. The measured value
    is the worst run's; the detail names the runs that fail."""
    vals = {k: float(v) for k, v in values.items()}
    if not vals:
        return no_evidence(expected, detail)
    ok = {k: bool(passes(v)) for k, v in vals.items()}
    v = "yes" if all(ok.values()) else "no" if not any(ok.values()) else "not resolved"
    arr = np.array(list(vals.values()))
    worst = min(vals, key=lambda k: (ok[k], vals[k] if passes(np.inf) else -vals[k]))
    failing = [k for k, good in ok.items() if not good]
    note = f"{len(vals) - len(failing)} of {len(vals)} {unit} pass" + (
        f" (failing: {', '.join(map(str, failing[:4]))}{', ...' if len(failing) > 4 else ''})" if failing else "")
    return Result(vals[worst], expected, v, f"{note}; {detail}" if detail else note, len(vals),
                  float(np.nanmin(arr)), float(np.nanmax(arr)), f"range over {unit}")


@dataclass(frozen=True)
class Claim:
    name: str
    study: str
    paper: str
    where: str
    statement: str
    check: Callable[[Evidence, dict], Result]
    #: what the paper (or the authors' code) reports for this claim, with its setting
    paper_value: str = "not looked up yet"


REGISTRY: list[Claim] = []


def claim(name: str, study: str, paper: str, where: str, statement: str, paper_value: str = "not looked up yet"):
    def wrap(fn):
        REGISTRY.append(Claim(name, study, paper, where, statement, fn, paper_value))
        return fn
    return wrap


def _runs(df: pd.DataFrame, experiment: str, metric: str) -> pd.DataFrame:
    sub = df[(df["experiment"] == experiment) & (df["metric"] == metric) & df["layer"].isna()]
    return sub.sort_values("step")


# --- neural collapse ---------------------------------------------------------------------------

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


@claim("nc1_falls", "collapse", "Papyan et al. 2020", "Fig. 6",
       "NC1 = tr(Sigma_W Sigma_B^+)/K of the last-layer features falls by a large factor from the initialization "
       "to the end of training.",
       paper_value=("no number in the text: Papyan et al. plot it on a log axis over 350 epochs (Fig. 6, 7 datasets "
                    "x 3 nets); not read off the plot here"))
def _nc1_falls(ev, th):
    df = ev.tables["collapse"]
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


@claim("nc1_falls_in_tpt", "collapse", "Papyan et al. 2020", "Sec. 1, Fig. 6",
       "In the terminal phase of training (after training error reaches zero) NC1 keeps falling.",
       paper_value=("no number in the text: Papyan et al. plot it on a log axis over 350 epochs (Fig. 6: it keeps "
                    "falling after the TPT onset); not read off the plot here"))
def _nc1_tpt(ev, th):
    df = ev.tables["collapse"]
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


@claim("nc234_fall", "collapse", "Papyan et al. 2020", "Figs. 2-5",
       "NC2 (simplex ETF), NC3 (self-duality) and NC4 (nearest class centre) fall from the initialization to the end "
       "of training.",
       paper_value=("no number in the text: Papyan et al. plot it on a log axis over 350 epochs (Figs. 2-5); not "
                    "read off the plot here"))
def _nc234_fall(ev, th):
    keep, outside = _at_zero_error(ev.tables["collapse"])
    ratios: dict[str, float] = {}  # per run: the smallest of NC2, NC3, NC4's init / end
    for metric in ("nc2", "nc3", "nc4"):
        for key, g in _by_run(ev.tables["collapse"], "training", metric):
            if key in keep:
                r = g["value"].iloc[0] / g["value"].iloc[-1] if g["step"].iloc[0] == 0 else float("nan")
                ratios[_name(key)] = min(ratios.get(_name(key), np.inf), r)
    return every_run(ratios, lambda v: v > 1, "min over NC2-NC4 of value(init) / value(end) > 1 in every run at zero "
                     "training error", _not_counted(outside).lstrip("; "))


@claim("normalized_faster", "collapse", "Yaras et al. 2022", "Sec. 4, Fig. 3",
       "With cross-entropy on both heads, features normalized onto the sphere reach a given NC1 in fewer epochs than "
       "the regularized standard head.",
       paper_value=("no number in the text (Fig. 3 plots NC1 against epochs for both heads); not read off the plot "
                    "here"))
def _normalized_faster(ev, th):
    runs = _runs(ev.tables["collapse"], "training", "nc1")
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
    return every_run(speedups, lambda v: v > 1, "epochs(standard) / epochs(normalized) to the standard head's final NC1 "
                     "> 1 for every dataset, architecture and seed",
                     "epochs, normalized vs standard: " + "; ".join(pairs))


@claim("nonlinear_geometric_compression", "collapse", "Wang et al. 2023", "Sec. 5, Fig. 5",
       "Nonlinear networks trained on Wang et al.'s recipe (MSE, small orthogonal init) to zero training error "
       "compress geometrically across their later layers.",
       paper_value='no number in the text (Fig. 5 plots the per-layer ratios of nonlinear nets)')
def _nl_comp(ev, th):
    lw = ev.summaries["collapse"]["layerwise"]
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
                               f"(layers {v['fit_from']:.0f}+)" for k, v in counted.items()) + extra)


@claim("transfer_less_collapsed", "collapse", "Wang et al. 2023", "Sec. 6 (projection heads)",
       "Features closer to the last layer are more collapsed and transfer worse: over the last hidden layers, the "
       "less compressed a layer (larger C_l = tr(Sigma_W)/tr(Sigma_B) on the source classes), the better its "
       "linear probe on held-out classes.", paper_value="no number in the paper (projection-head figure: qualitative)")
def _transfer(ev, th):
    from scipy.stats import spearmanr

    df = ev.tables["collapse"]
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


def _progressive(ev):
    from lowdim.studies.dln.analyze import progressive_fits

    fits = progressive_fits(ev.tables["dln"])
    return fits[fits["activation"] == "linear"]


def _censored(fits: pd.DataFrame) -> str:
    cens = [f"{r.model} ({r.seeds - r.converged} of {r.seeds})" for r in fits.itertuples() if r.converged < r.seeds]
    return "; stopped at the epoch cap before the loss reached tol: " + ", ".join(cens) if cens else ""


@claim("dln_geometric_compression", "dln", "Wang et al. 2023", "Thm. 1, Fig. 2",
       "In deep linear networks trained to interpolation each layer compresses within-class variation by the same "
       "factor: tr(Sigma_W)/tr(Sigma_B) is geometric in the layer (input to last hidden layer).",
       paper_value="rate 0.28 per layer (their notebook: L = 5, eps = 0.3, C_l = 12.0 -> 0.0217)")
def _dln_comp(ev, th):
    fits = _progressive(ev)
    # per depth, the worst seed's R^2; a rate >= 1 or a seed stopped at the epoch cap fails the depth (-inf)
    r2 = {f"L{r.depth}": r.compression_r2_min if r.rate_max < 1 and r.converged == r.seeds else -np.inf
          for r in fits.itertuples()}
    rates = ", ".join(f"L{r.depth}: {r.rate_median:.3f}" for r in fits.itertuples())
    return every_run(r2, lambda v: v >= th["fit_r2"], f"R^2 >= {th['fit_r2']:g} and rate < 1 for every seed of every "
                     "depth", f"median rate per layer {rates}; {int(fits['seeds'].sum())} seeds in all" + _censored(fits),
                     unit="depths")


@claim("dln_linear_discrimination", "dln", "Wang et al. 2023", "Thm. 1, Fig. 2",
       "In deep linear networks discrimination moves linearly across layers from the input's D_0 to the output's "
       "(1: orthogonal one-hot targets).", paper_value="no number in the paper")
def _dln_disc(ev, th):
    fits = _progressive(ev)
    r2 = {f"L{r.depth}": r.discrimination_r2 if r.discrimination_slope > 0 else -np.inf for r in fits.itertuples()}
    return every_run(r2, lambda v: v >= th["fit_r2"], f"line through the seeds' common profile D_0 -> D_L+1: R^2 >= "
                     f"{th['fit_r2']:g} and slope > 0 at every depth",
                     f"D from {fits['discrimination_start'].mean():.3f} to {fits['discrimination_end'].mean():.3f}"
                     + _censored(fits), unit="depths")


# --- law of parsimony ---------------------------------------------------------------------------

@claim("law_of_parsimony", "dln", "Yaras et al. 2023", "Thm. 1, Fig. 1",
       "GD from orthogonal init (whitened inputs) changes only 2r singular values and keeps the rest's subspace fixed.",
       paper_value=("Thm. 1: exactly 2r singular values move, the other d - 2r stay at their init with a fixed "
                    "subspace (the authors' fig_thm.ipynb: d = 30, r = 3, L = 3, eps = 1, 50 GD steps)"))
def _parsimony(ev, th):
    df = ev.tables["dln"]
    inv = df[(df["experiment"] == "invariant") & df["model"].isin(["gd-whitened", "momentum-whitened"])]
    if inv.empty:
        return no_evidence("GD runs present", "no gd/momentum-whitened run in the table")
    rank = int(inv["dataset"].iloc[0].rsplit("r", 1)[1])
    per = {}  # per optimizer and seed: moving singular values, or +inf when the fixed subspace turned
    for (model, seed), g in inv.groupby(["model", "seed"]):
        moving = float(g[g["metric"] == "moving_singular_values"]["value"].max())
        angle = float(g[g["metric"].str.startswith("angle_fixed")]["value"].max())
        per[f"{model}/{seed}"] = moving if angle <= th["parsimony_angle"] else np.inf
    angle = float(inv[inv["metric"].str.startswith("angle_fixed")]["value"].max())
    return every_run(per, lambda v: v <= 2 * rank, f"<= 2r = {2 * rank} moving singular values and the rest's subspace "
                     f"turned <= {th['parsimony_angle']:g} rad, every optimizer and seed",
                     f"largest angle of the fixed subspace {angle:.2g} rad")


@claim("compressed_follows_full", "dln", "Yaras et al. 2023", "Sec. 4, Fig. 4",
       "The compressed width-2r network follows the full network's end-to-end trajectory, faster.",
       paper_value=("the two trajectories coincide (PC plot, no deviation number); loss 1e-20 in ~4.5 s vs ~45 s "
                    "(~10x) at d = 1000, r = 10, L = 3, eps 1e-3 (law-of-parsimony figs/equiv_traj_l2.png, read off "
                    "the plot)"))
def _compressed(ev, th):
    c = ev.summaries["dln"]["compressed"]
    runs = c["seeds"]  # every seed's summary (the top level repeats the first seed's)
    devs = {f"seed {s}": r["compressed"].get("max_deviation_from_full", float("inf")) for s, r in runs.items()}
    speed = {f"seed {s}": r["speedup_compressed_vs_full"] for s, r in runs.items()}
    tol = th["trajectory_tol"]
    # a run passes when it both follows the trajectory and is faster: its deviation, or inf when slower
    vals = {k: devs[k] if speed[k] > 1 else float("inf") for k in devs}
    return every_run(vals, lambda v: v <= tol, f"deviation <= {tol:g} and speed-up > 1 for every seed",
                     "; ".join(f"{k}: deviation {devs[k]:.2g}, {speed[k]:.2f}x faster" for k in devs), unit="seeds")


# --- deep matrix completion ----------------------------------------------------------------------

def _depth_width_final(df):
    sub = df[(df["experiment"] == "depth_width") & (df["metric"] == "test_error")].sort_values("step")
    last = sub.groupby(["model", "seed"]).agg(value=("value", "last"), step=("step", "last")).reset_index()
    conv = df[(df["experiment"] == "depth_width") & (df["metric"] == "converged")].set_index(["model", "seed"])
    last["converged"] = [bool(conv["value"].get((m, s), 1.0)) for m, s in zip(last["model"], last["seed"])]
    # a seed's iterations: the step of its "converged" row (its own first step below tol; the
    # batched program runs on until every seed is there), else the last logged step
    last["step"] = [conv["step"].get((m, s), st) for m, s, st in zip(last["model"], last["seed"], last["step"])]
    last[["depth", "width"]] = last["model"].str.extract(r"L(\d+)-w(\d+)").astype(int)
    return last


@claim("depth_prevents_overfitting", "completion", "Yaras et al. 2024", "Sec. 3.1, Fig. 2",
       "At large width, a depth-3 factorization completes the matrix where depth 2 overfits.",
       paper_value=("d = 100, r = 10, 30% observed, 5 trials: depth-2 recovery error ~1.1e-3 at width 100, depth 3 "
                    "~0 at every width (law-of-parsimony figs/depth_2_v_3.png, read off the plot)"))
def _depth(ev, th):
    last = _depth_width_final(ev.tables["completion"])
    wide = last[last["width"] == last["width"].max()].pivot_table(index="seed", columns="depth", values="value")
    expected = f"depth-2 / depth-3 final test error >= {th['depth_gap']:g} at the largest width, every seed"
    if not {2, 3} <= set(wide.columns):
        return no_evidence(expected, "the table lacks depth 2 or 3")
    ratio = (wide[2] / wide[3]).dropna()
    return every_run({f"seed {k}": v for k, v in ratio.items()}, lambda v: v >= th["depth_gap"], expected,
                     f"width {last['width'].max()}: {wide[2].mean():.2g} vs {wide[3].mean():.2g} (mean test error)",
                     unit="seeds")


@claim("width_accelerates", "completion", "Yaras et al. 2024", "Sec. 3.1, Fig. 2",
       "Wider depth-3 factorizations converge in fewer iterations.",
       paper_value=("depth 3: ~4.2e4 iterations at width 10 down to ~1.1e4 at width 100, ~3.8x (law-of-parsimony "
                    "figs/depth_2_v_3.png, read off the plot)"))
def _width(ev, th):
    last = _depth_width_final(ev.tables["completion"])
    d3 = last[last["depth"] == 3]
    expected = "iterations(widest) / iterations(narrowest) < 1 for every seed, widest converged"
    widths = sorted(d3["width"].unique())
    if len(widths) < 2:
        return no_evidence(expected, "fewer than two depth-3 widths")
    by = d3.set_index(["seed", "width"])
    ratios, notes = {}, []
    for seed in sorted(d3["seed"].unique()):
        narrow, wide = by.loc[(seed, widths[0])], by.loc[(seed, widths[-1])]
        # a run stopped at the cap is censored: its iterations are a lower bound, never a convergence
        ratio = float(wide["step"] / narrow["step"]) if wide["converged"] else np.inf
        ratios[f"seed {seed}"] = ratio
        bound = "<= " if not narrow["converged"] and wide["converged"] else ""
        notes.append(f"seed {seed}: w{widths[-1]} {wide['step']:.0f} vs w{widths[0]} {narrow['step']:.0f}"
                     + (" (censored: hit max_steps)" if not narrow["converged"] else "")
                     + (f", ratio {bound}{ratio:.3g}" if np.isfinite(ratio) else
                        ", the widest run did not converge, so the ratio says nothing"))
    return every_run(ratios, lambda v: v < 1, expected, "; ".join(notes), unit="seeds")


def _speed(ev) -> dict:
    return ev.summaries["completion"]["speed"]


def _reached(run: dict, kind: str) -> float | None:
    """Iterations or seconds until the run's test error reached the experiment's reach_error (None: never)."""
    key = next((k for k in run if k.startswith(f"{kind}_to_test_error_")), None)
    return run.get(key) if key else None


@claim("compressed_completion", "completion", "Yaras et al. 2024", "Sec. 3.2, Fig. 4",
       "Compressed deep completion (discrepant learning rate) reaches the full-width network's test error.",
       paper_value=("d = 1000, r = 5, 20% observed: compressed (gamma) and full width both reach recovery error "
                    "~1e-12; gamma = 0 stalls at ~5e-4 (law-of-parsimony figs/equiv_traj_mc.png, read off the plot)"))
def _comp_completion(ev, th):
    s = _speed(ev)
    comp = {k: v for k, v in s.items() if k.startswith("compressed-") and not k.endswith("-g0")}
    full = s["full"]["final_test_error"]
    expected = f"final test error <= {th['completion_error']:g} for every compressed run and the full width ({full:.2g})"
    if not comp:
        return no_evidence(expected, "no compressed run with gamma > 0")
    errors = {k: (v["final_test_error"] if full <= th["completion_error"] else np.inf) for k, v in comp.items()}
    return every_run(errors, lambda v: v <= th["completion_error"], expected,
                     f"ALS {s['als']['final_test_error']:.2g}" + ("" if full <= th["completion_error"] else
                                                                   "; the full width itself did not get there"))


@claim("compressed_faster_than_full", "completion", "Yaras et al. 2024", "Sec. 3.2, Fig. 4",
       "The compressed network needs about as many iterations as the full-width one and reaches its test error "
       "sooner in wall-clock.",
       paper_value="compressed about 1.95e4 iterations at d = 1000 for every r (law-of-parsimony "
                   "figs/comp_iter_time.png); full-width seconds: no number found")
def _comp_vs_full(ev, th):
    s = _speed(ev)
    full_t, full_i = _reached(s["full"], "seconds"), _reached(s["full"], "iterations")
    comps = {k: v for k, v in s.items() if k.startswith("compressed-") and not k.endswith("-g0")}
    expected = "wall-clock speed-up over full width > 1 for every rank"
    if not comps:
        return no_evidence(expected, "no compressed run")
    if full_t is None:
        return Result(float("nan"), expected, "not resolved", "the full width never reached the error (censored)")
    notes, speedups = [], {}
    for k, v in comps.items():
        t, i = _reached(v, "seconds"), _reached(v, "iterations")
        if t is None:
            notes.append(f"{k}: never reached the error (censored)")
            speedups[k] = 0.0
            continue
        speedups[k] = full_t / t
        notes.append(f"{k}: {full_t / t:.2f}x sooner, iterations {i} vs full {full_i} ({i / full_i:.2f}x)")
    return every_run(speedups, lambda v: v > 1, expected, "; ".join(notes), unit="ranks")


@claim("compressed_beats_narrow", "completion", "Yaras et al. 2024", "Sec. 3.2, Fig. 4",
       "At the same width 2r, the compressed network needs fewer iterations and less time than a randomly "
       "initialized narrow network.",
       paper_value="2.3-3.2x fewer iterations, 1.9-2.6x less time at d = 1000, r = 5..20 "
                   "(law-of-parsimony figs/comp_iter_time.png)")
def _comp_vs_narrow(ev, th):
    s = _speed(ev)
    ratios, notes = {}, []
    for k, v in s.items():
        if not k.startswith("narrow-r"):
            continue
        rank = k.split("-r")[1]
        comps = {c: w for c, w in s.items() if c.startswith(f"compressed-r{rank}-") and not c.endswith("-g0")}
        for c, w in comps.items():
            ci, ct, ni, nt = (_reached(w, "iterations"), _reached(w, "seconds"), _reached(v, "iterations"),
                              _reached(v, "seconds"))
            if ci is None:
                ratios[c] = 0.0
                notes.append(f"r{rank}: compressed never reached the error")
                continue
            if ni is None:  # narrow censored: its iterations exceed the cap, a lower bound on the ratio
                ratios[c] = s[k]["iterations"] / ci
                notes.append(f"r{rank}: narrow never reached the error in {s[k]['iterations']} iterations (ratio >= "
                             f"{s[k]['iterations'] / ci:.2f})")
                continue
            ratios[c] = min(ni / ci, nt / ct)
            notes.append(f"r{rank}: {ni / ci:.2f}x fewer iterations ({ci} vs {ni}), {nt / ct:.2f}x less time")
    return every_run(ratios, lambda v: v > 1, "narrow / compressed iterations and seconds > 1 at every rank",
                     "; ".join(notes) or "no narrow and compressed runs of one rank", unit="ranks")


@claim("movielens_rmse", "completion", "Yaras et al. 2024", "Sec. 3.2, Fig. 5",
       "On MovieLens-100K the compressed deep factorization matches the full-width test RMSE.",
       paper_value="not found: the ICML 2024 text was not reachable here and the authors' repositories hold no MovieLens result")
def _movielens(ev, th):
    s = ev.summaries["completion"]["movielens"]
    runs = s["splits"]  # every seeded split's summary (the top level repeats the first split's)
    tol = th["rmse_tol"]
    # per split, how far the compressed network stays inside full width + tol (>= 0 passes)
    margins = {f"split {k}": r["full"]["best_test_rmse"] + tol - r["compressed"]["best_test_rmse"] for k, r in runs.items()}
    expected = f"compressed best test RMSE <= full width's + {tol:g} in every split"
    detail = "; ".join(f"split {k}: compressed {r['compressed']['best_test_rmse']:.4f} vs full {r['full']['best_test_rmse']:.4f}, "
                       f"ALS {r['als']['best_test_rmse']:.3f}, mean rating {r['_baseline_mean_rating_rmse']:.3f}"
                       for k, r in runs.items())
    # the same quantity at every scale: one split is "1 of 1 splits pass", its range one point
    return every_run(margins, lambda v: v >= 0, expected, detail, unit="splits")


# --- Deep LoRA -------------------------------------------------------------------------------------

def _dev(ev):
    from lowdim.studies.adapt.analyze import final_dev

    return final_dev(ev.tables["adapt"])


def _paired(last: pd.DataFrame, n: int, rank: int) -> pd.Series:
    """Per seed, Deep LoRA minus LoRA final dev Pearson at (n, rank): the same seed draws the same n
    pairs and the same head for both methods, so the difference is paired."""
    sub = last[(last["n"] == n) & (last["rank"] == rank)].pivot_table(index="seed", columns="method", values="value")
    return (sub["deep_lora"] - sub["lora"]).dropna()


@claim("deep_lora_small_n", "adapt", "Yaras et al. 2024", "Sec. 4, Fig. 7",
       "With few training samples (n = 16) Deep LoRA fine-tunes better than LoRA (final dev Pearson, STS-B).",
       paper_value="n = 16, BERT-base-cased, 500 steps, 20 seeds: LoRA 0.529 +- 0.122, Deep LoRA 0.598 +- 0.103 (authors' "
                   "logs experiments/stsb_fewshot/16; 5 seeds per method re-read here: LoRA 0.55, Deep LoRA 0.62)")
def _small_n(ev, th):
    last = _dev(ev)
    n = int(last["n"].min())
    rank = int(ev.summaries.get("adapt", {}).get("rank", last["rank"].mode().iloc[0]))  # the samples sweep's rank
    means = last[(last["n"] == n) & (last["rank"] == rank)].groupby("method")["value"].mean()
    return over_seeds(_paired(last, n, rank), "Deep LoRA - LoRA > 0 over the whole interval of the per-seed difference",
                      f"n = {n}, rank {rank}: LoRA {means.get('lora', float('nan')):.3f}, Deep LoRA "
                      f"{means.get('deep_lora', float('nan')):.3f} (mean final dev Pearson)")


@claim("deep_lora_rank_robust", "adapt", "Yaras et al. 2024", "Sec. 4, Fig. 8",
       "At n = 16, LoRA degrades as its rank grows while Deep LoRA does not.",
       paper_value="n = 16, BERT-base-cased, 200 steps, lr 1e-4, 5 seeds: LoRA falls from ~0.54 (rank 8; ~0.59 at rank 2) "
                   "to ~0.17 (rank 64), Deep LoRA stays 0.59-0.67 (authors' logs experiments/stsb_fewshot_16_varying_rank, "
                   "assets/fewshot_stsb_varying_rank.png; rank 64 re-read here, seeds 1, 2, 4: LoRA 0.22, Deep LoRA 0.64)")
def _rank_robust(ev, th):
    """Two per-seed margins, both needed: LoRA's drop from the samples sweep's rank to the largest rank
    (> 0: LoRA degrades) and how much less Deep LoRA drops over the same ranks (> 0: Deep LoRA does
    not degrade like LoRA). yes when both intervals are above 0, no when either is below, else not resolved."""
    last = _dev(ev)
    n = int(last.groupby("n")["rank"].nunique().idxmax())
    ranks = sorted(last[last["n"] == n]["rank"].unique().tolist())
    if len(ranks) < 2:
        return no_evidence("LoRA's drop to the largest rank > 0 and (LoRA's drop - Deep LoRA's drop) > 0",
                           f"fewer than two ranks at n = {n}: this scale runs no rank sweep (adapt.ranks); "
                           "medium.yaml and paper.yaml run it")
    base = int(ev.summaries.get("adapt", {}).get("rank", ranks[0]))
    lo, hi = (base if base in ranks and base != ranks[-1] else ranks[0]), ranks[-1]
    expected = f"LoRA's drop from rank {lo} to {hi} > 0 and (LoRA's drop - Deep LoRA's drop) > 0, both intervals"
    per = {m: last[(last["n"] == n) & (last["method"] == m)].pivot_table(index="seed", columns="rank", values="value")
           for m in ("lora", "deep_lora")}
    if any(lo not in per[m] or hi not in per[m] for m in per):
        return no_evidence(expected, f"rank {lo} or {hi} missing for a method")
    drop = {m: (per[m][lo] - per[m][hi]).dropna() for m in per}
    lora_drop = over_seeds(drop["lora"], "", "")
    kept = over_seeds((drop["lora"] - drop["deep_lora"]).dropna(), "", "")
    verdicts = {lora_drop.verdict, kept.verdict}
    means = {m: per[m].mean() for m in per}
    ends = "; ".join(f"{m}: " + ", ".join(f"r{r} {means[m][r]:.3f}" for r in ranks if r in means[m]) for m in per)
    if "no evidence" in verdicts:
        return no_evidence(expected, f"n = {n}, mean final dev Pearson: {ends}")
    v = "no" if "no" in verdicts else "yes" if verdicts == {"yes"} else "not resolved"
    detail = (f"LoRA's drop r{lo} -> r{hi}: {lora_drop.stated} ({lora_drop.verdict}); LoRA's drop - Deep LoRA's: "
              f"{kept.stated} ({kept.verdict}); n = {n}, mean final dev Pearson: {ends}")
    weaker = min((lora_drop, kept), key=lambda r: r.low)  # the interval shown: the weaker margin's (both are needed)
    return Result(weaker.measured, expected, v, f"{v}; {detail}", weaker.n, weaker.low, weaker.high, weaker.method)


# --- randomized histogram matching --------------------------------------------------------------

RHM_PAPER = ("no number read: the paper's text was not available here; its abstract: accuracy degrades "
             "substantially under the shift, RHM matches UDA methods and beats the simple approaches")


def per_source(check):
    """A claim evaluated per data source of the rhm table: ``check(ev, th, source)`` -> Result; the claim gives
    one row per source, named ``<claim>[<source>]``, its detail starting with what the source is."""
    from lowdim.studies.rhm import describe
    from lowdim.studies.rhm.analyze import split_dataset

    def wrapped(ev, th):
        sources = sorted(split_dataset(ev.tables["rhm"])["source"].unique())
        out = {}
        for s in sources:
            try:
                r = check(ev, th, s)
            except (KeyError, IndexError, ValueError) as e:  # this source lacks what the claim needs
                r = no_evidence("evidence present", f"cannot evaluate: {e!r}")
            out[s] = replace(r, detail=f"{describe(s)}; {r.detail}")
        return out
    wrapped.__doc__ = check.__doc__
    return wrapped


def _rhm(ev, source: str) -> pd.DataFrame:
    from lowdim.studies.rhm.analyze import target_iou

    t = target_iou(ev.tables["rhm"])
    return t[t["data"] == source].pivot_table(index="seed", columns="method", values=["source", "target"])


@claim("rhm_no_aug_degrades", "rhm", "Yaras et al. 2024 (RHM)", "Sec. I, abstract",
       "Without augmentation, segmentation accuracy degrades under the pixel-wise domain shift.", paper_value=RHM_PAPER)
@per_source
def _rhm_degrades(ev, th, source):
    t = _rhm(ev, source)
    gap = t[("source", "none")] - t[("target", "none")]
    return over_seeds(gap, "source IoU - mean target IoU > 0 over the interval (no augmentation)",
                        f"source {t[('source', 'none')].mean():.3f}, targets {t[('target', 'none')].mean():.3f}")


@claim("rhm_closes_gap", "rhm", "Yaras et al. 2024 (RHM)", "Sec. V, Tables",
       "RHM closes most of the gap between no augmentation and a target-supervised oracle on the target domains.",
       paper_value=RHM_PAPER)
@per_source
def _rhm_gap(ev, th, source):
    t = _rhm(ev, source)["target"]
    closed = (t["rhm"] - t["none"]) / (t["oracle"] - t["none"])
    return over_seeds(closed - 0.5, "fraction of the gap closed - 0.5 > 0 over the interval (most = more than half)",
                        f"closed {closed.mean():.2f} of it: none {t['none'].mean():.3f}, RHM {t['rhm'].mean():.3f}, "
                        f"oracle {t['oracle'].mean():.3f} (mean target IoU)")


@claim("rhm_beats_simple", "rhm", "Yaras et al. 2024 (RHM)", "Sec. V, Tables",
       "On the target domains RHM beats each simple approach (photometric jitter, histogram equalization, gray world).",
       paper_value=RHM_PAPER)
@per_source
def _rhm_simple(ev, th, source):
    t = _rhm(ev, source)["target"]
    simple = [m for m in ("jitter", "histeq", "grayworld", "none") if m in t]
    margin = t[simple].rsub(t["rhm"], axis=0).min(axis=1)  # per seed: RHM minus the best simple method
    return over_seeds(margin, "RHM - best simple method (mean target IoU) > 0 over the interval",
                        ", ".join(f"{m} {t[m].mean():.3f}" for m in simple + ["rhm"]))


@claim("rhm_most_invariant", "rhm", "Yaras et al. 2024 (RHM)", "Sec. IV (synthetic transformations)",
       "Under random pixel-wise transformations of the source test set, RHM-trained models degrade least.",
       paper_value=RHM_PAPER)
@per_source
def _rhm_invariant(ev, th, source):
    from lowdim.studies.rhm.analyze import invariance

    inv = invariance(ev.tables["rhm"])
    inv = inv[inv["source"] == source]
    lo, hi = inv["strength"].min(), inv["strength"].max()
    at = inv.pivot_table(index=["seed", "strength"], columns="model", values="value")
    drop = at.xs(lo, level="strength") - at.xs(hi, level="strength")  # per seed and method
    others = [m for m in drop if m not in ("rhm", "oracle")]
    margin = drop[others].min(axis=1) - drop["rhm"]
    return over_seeds(margin, f"smallest other drop - RHM's drop in IoU from strength {lo:g} to {hi:g} > 0",
                        ", ".join(f"{m} -{drop[m].mean():.3f}" for m in others + ["rhm"]))


# --- evaluation and outputs ------------------------------------------------------------------------

def evaluate(ev: Evidence, thresholds: dict, scale: str = "embedded") -> pd.DataFrame:
    rows = []
    for c in REGISTRY:
        if c.study not in ev.tables and c.study not in ev.summaries:
            continue
        try:
            got = c.check(ev, thresholds)
        except (KeyError, IndexError, ValueError) as e:  # the run lacks what the claim needs
            got = no_evidence("evidence present", f"cannot evaluate: {e!r}")
        # a claim evaluated per data source (rhm) gives a row per source: "<claim>[<source>]"
        for name, r in ({c.name: got} if isinstance(got, Result) else
                        {f"{c.name}[{s}]": r for s, r in got.items()}).items():
            rows.append(_row(c, name, r, scale))
    return pd.DataFrame(rows)


def _row(c: Claim, name: str, r: Result, scale: str) -> dict:
    return {"claim": name, "study": c.study, "scale": scale, "paper": c.paper, "where": c.where,
            "statement": c.statement, "paper_value": c.paper_value, "expected": r.expected,
            "measured": float(r.measured), "seeds": int(r.n), "low": float(r.low), "high": float(r.high),
            "interval": r.method, "verdict": r.verdict, "passed": r.passed, "detail": r.detail}

VERDICTS = ("yes", "not resolved", "no", "no evidence")


def _ours(r) -> str:
    """Our number: the centre, the interval its verdict is stated on, how many seeds or runs."""
    if not r.seeds:
        return "-"
    if r.seeds == 1 or not np.isfinite(r.low) or not np.isfinite(r.high):
        return f"{r.measured:.4g} ({r.interval or 'one value'})"
    return f"{r.measured:.4g} [{r.low:.4g}, {r.high:.4g}] ({r.seeds}, {r.interval})"


def counts(df: pd.DataFrame) -> str:
    by = df["verdict"].value_counts()
    return (f"{int(by.get('yes', 0))} of {len(df)} claims hold" +
            "".join(f", {int(by[v])} {v}" for v in VERDICTS[1:] if by.get(v, 0)))


def markdown(df: pd.DataFrame) -> str:
    scale = df["scale"].iloc[0] if len(df) else "?"
    lines = [f"Scale: **{scale}**. *ours* is the mean over seeds with its 95% interval, or for a claim that must hold "
             "in every run the worst run with the range over the runs; the verdict is stated on that interval.", "",
             "| claim | paper | paper's number | expected | ours | verdict | detail |", "|---|---|---|---|---|---|---|"]
    for r in df.itertuples():
        v = r.verdict if r.verdict == "yes" else f"**{r.verdict}**"
        lines.append(f"| **{r.claim}**: {r.statement} | {r.paper}, {r.where} | {r.paper_value} | {r.expected} | "
                     f"{_ours(r)} | {v} | {r.detail} |")
    lines += ["", f"{counts(df)} in this run ({scale} scale).", ""]
    return "\n".join(lines)


def ladder(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per claim, one column per scale that has been run: "verdict: ours"."""
    order = [s for s in SCALES if s in frames] + sorted(set(frames) - set(SCALES))
    rows = {}
    for scale in order:
        for r in frames[scale].itertuples():
            rows.setdefault(r.claim, {"claim": r.claim, "paper's number": r.paper_value})[scale] = f"{r.verdict}: {_ours(r)}"
    return pd.DataFrame(list(rows.values()), columns=["claim", "paper's number", *order]).fillna("not run")


def ladder_markdown(frames: dict[str, pd.DataFrame]) -> str:
    table = ladder(frames)
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    lines += [""] + [f"- {scale}: {counts(frames[scale])}." for scale in table.columns[2:]]
    return "\n".join(lines) + "\n"


def html(df: pd.DataFrame, provenance: dict, frames: dict[str, pd.DataFrame] | None = None) -> str:
    """A self-contained page: every scale's verdicts side by side, this run's claims in full, and the run's
    provenance (for the Snakemake report)."""
    import html as h

    def row(r):
        return (f"<tr class='{r.verdict.replace(' ', '-')}'><td><b>{h.escape(r.claim)}</b><br>{h.escape(r.statement)}</td>"
                f"<td>{h.escape(r.paper)}, {h.escape(r.where)}</td><td>{h.escape(r.paper_value)}</td>"
                f"<td>{h.escape(r.expected)}</td><td>{h.escape(_ours(r))}<br><small>{h.escape(r.detail)}</small></td>"
                f"<td>{h.escape(r.verdict)}</td></tr>")

    scale = df["scale"].iloc[0] if len(df) else "?"
    lad = ladder(frames or {scale: df})
    lad_html = ("<tr>" + "".join(f"<th>{h.escape(c)}</th>" for c in lad.columns) + "</tr>" + "".join(
        "<tr>" + "".join(f"<td>{h.escape(str(v))}</td>" for v in r) + "</tr>" for r in lad.itertuples(index=False)))
    prov = "".join(f"<tr><td>{h.escape(k)}</td><td>{h.escape(str(v))}</td></tr>" for k, v in provenance.items())
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>lowdim claims</title><style>"
        "body{font-family:sans-serif;font-size:13px} table{border-collapse:collapse;margin-bottom:1em}"
        "td,th{border:1px solid #ccc;padding:4px;vertical-align:top} tr.no td:last-child{color:#b00;font-weight:bold}"
        "tr.not-resolved td:last-child{color:#a60;font-weight:bold} tr.yes td:last-child{color:#070}</style></head><body>"
        f"<h2 id='claims'>Claims ({h.escape(scale)} scale): {h.escape(counts(df))}</h2>"
        "<table><tr><th>claim</th><th>paper</th><th>paper's number</th><th>expected</th><th>ours</th><th>verdict</th></tr>"
        f"{''.join(row(r) for r in df.itertuples())}</table>"
        f"<h2 id='scales'>Every scale that has been run</h2><table>{lad_html}</table>"
        f"<h2 id='provenance'>Provenance</h2><table>{prov}</table></body></html>\n")


#: The scale ladder, smallest first (params ``scale``; each writes results/<scale>/).
SCALES = ("embedded", "medium", "paper")


def other_scales(out_parquet: str, scale: str) -> dict[str, pd.DataFrame]:
    """The claims tables of the other scales already run beside this one (results/<scale>/claims.parquet)."""
    here = Path(out_parquet)
    found = {}
    for p in sorted(here.parent.parent.glob(f"*/{here.name}")):
        if p.parent.name != scale:
            found[p.parent.name] = pd.read_parquet(p)
    return found


def headline(df: pd.DataFrame) -> dict:
    """The DVC metrics of a run: claims held per study and each claim's measured value (a few dozen numbers)."""
    out: dict = {s: {"held": int(g["passed"].sum()), "total": int(len(g))} for s, g in df.groupby("study")}
    out["all"] = {"held": int(df["passed"].sum()), "not_resolved": int((df["verdict"] == "not resolved").sum()),
                  "total": int(len(df))}
    out["measured"] = {r.claim: (round(float(r.measured), 6) if np.isfinite(r.measured) else None) for r in df.itertuples()}
    return out


def score(inputs: list, summaries: list, thresholds: dict, out_parquet: str, out_md: str, summary_out: str,
          out_html: str = "", scale: str = "embedded", ladder_md: str = "") -> None:
    """Evaluate every claim on the study tables/summaries (paths named <results>/<study>/...); with
    ``ladder_md``, also write the verdicts of every scale run so far side by side."""
    ev = Evidence({Path(t).parent.name: tables.read(t) for t in inputs},
                  {Path(s).stem: json.load(open(s)) for s in summaries})
    df = evaluate(ev, thresholds, scale)
    write_atomic(out_parquet, lambda tmp: df.to_parquet(tmp, index=False))
    write_atomic(out_md, lambda tmp: Path(tmp).write_text(markdown(df)))
    frames = {scale: df, **other_scales(out_parquet, scale)}
    if ladder_md:
        write_atomic(ladder_md, lambda tmp: Path(tmp).write_text(ladder_markdown(frames)))
    if out_html:
        from lowdim import provenance

        first = next(iter(ev.tables.values()))
        prov = {"scale": scale,
                "git revision (tables)": ", ".join(sorted({str(v) for t in ev.tables.values() for v in t["git_rev"].unique()})),
                "params hash (per study)": ", ".join(f"{k}: {t['params_hash'].iloc[0]}" for k, t in ev.tables.items()),
                "lowdim version": first["lowdim_version"].iloc[0], "device": provenance.device_name(),
                **{f"version: {k}": v for k, v in provenance.versions().items()}}
        write_atomic(out_html, lambda tmp: Path(tmp).write_text(html(df, prov, frames)))
    write_json(summary_out, headline(df))


START, END = "<!-- claims:start -->", "<!-- claims:end -->"


def readme(claims_md: str, readme_path: str = "docs/scorecard.md", section: str = "claims") -> None:
    """Replace a section of docs/scorecard.md with ``claims_md``: section "claims" (the default run's
    results/embedded/claims.md) or "scorecard" (results/scorecard.md, every scale side by side); then
    ``python -m lowdim docs build`` carries the verdicts into README.md and the study pages."""
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    text = Path(readme_path).read_text()
    if start not in text or end not in text:
        raise ValueError(f"{readme_path} has no {start} ... {end} section")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    write_atomic(readme_path, lambda tmp: Path(tmp).write_text(head + start + "\n" + Path(claims_md).read_text() + end + tail))
