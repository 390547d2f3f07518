"""The reproduction scorecard: every paper claim re-derived from the study tables.

A claim is a named function over the evidence (each study's Parquet table and the summary
derived from it) and the thresholds in ``params.yaml`` (``claims``); it returns what it
measured, what the paper leads one to expect, and whether the run bears the claim out.
Nothing here is hard-coded to pass: every claim has a unit test with a hand-made table on
which it must pass and one on which it must fail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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
class Claim:
    name: str
    study: str
    paper: str
    where: str
    statement: str
    check: Callable[[Evidence, dict], tuple[float, str, bool, str]]


REGISTRY: list[Claim] = []


def claim(name: str, study: str, paper: str, where: str, statement: str):
    def wrap(fn):
        REGISTRY.append(Claim(name, study, paper, where, statement, fn))
        return fn
    return wrap


def _runs(df: pd.DataFrame, experiment: str, metric: str) -> pd.DataFrame:
    sub = df[(df["experiment"] == experiment) & (df["metric"] == metric) & df["layer"].isna()]
    return sub.sort_values("step")


# --- neural collapse ---------------------------------------------------------------------------

@claim("nc1_falls", "collapse", "Papyan et al. 2020", "Fig. 6",
       "NC1 = tr(Sigma_W Sigma_B^+)/K of the last-layer features falls by a large factor during training.")
def _nc1_falls(ev, th):
    runs = _runs(ev.tables["collapse"], "training", "nc1").groupby(["dataset", "model", "seed"])["value"]
    ratio = (runs.first() / runs.last()).sort_values()
    worst = ratio.index[0]
    return (float(ratio.iloc[0]), f">= {th['nc1_drop']:g}x in every run", bool(ratio.iloc[0] >= th["nc1_drop"]),
            f"first/last NC1, worst run {'/'.join(map(str, worst))}; median {ratio.median():.3g}x over {len(ratio)} runs")


@claim("nc234_fall", "collapse", "Papyan et al. 2020", "Figs. 2-5",
       "NC2 (simplex ETF), NC3 (self-duality) and NC4 (nearest class centre) fall during training.")
def _nc234_fall(ev, th):
    fell, total, bad = 0, 0, []
    for metric in ("nc2", "nc3", "nc4"):
        for key, g in _runs(ev.tables["collapse"], "training", metric).groupby(["dataset", "model", "seed"]):
            total += 1
            if g["value"].iloc[-1] < g["value"].iloc[0]:
                fell += 1
            else:
                bad.append(f"{metric} {'/'.join(map(str, key))}")
    frac = fell / total
    return frac, "1.0 (every run, every metric)", frac == 1.0, "did not fall: " + (", ".join(bad[:4]) or "none")


@claim("normalized_faster", "collapse", "Yaras et al. 2022", "Sec. 4, Fig. 3",
       "Features normalized onto the sphere reach a given NC1 in fewer epochs than the standard head.")
def _normalized_faster(ev, th):
    runs = _runs(ev.tables["collapse"], "training", "nc1")
    wins, pairs = 0, []
    for (dataset, seed, arch), g in runs.assign(arch=runs["model"].str.rsplit("-", n=1).str[0]).groupby(["dataset", "seed", "arch"]):
        std, nrm = g[g["model"] == f"{arch}-standard"], g[g["model"] == f"{arch}-normalized"]
        if std.empty or nrm.empty:
            continue
        level = std["value"].iloc[-1]
        first = nrm[nrm["value"] <= level]["step"]
        t_nrm = int(first.iloc[0]) if len(first) else np.inf
        t_std = int(std[std["value"] <= level]["step"].iloc[0])
        wins += t_nrm < t_std
        pairs.append(f"{dataset}/{arch}: {t_nrm} vs {t_std}")
    frac = wins / len(pairs) if pairs else float("nan")
    return frac, "1.0 (every dataset and architecture)", frac == 1.0, \
        "epochs to the standard head's final NC1, normalized vs standard: " + "; ".join(pairs)


def _layer_fit_rows(df: pd.DataFrame, experiment: str, metric: str) -> dict[tuple, pd.Series]:
    sub = df[(df["experiment"] == experiment) & (df["metric"] == metric) & df["layer"].notna()]
    return {k: g.sort_values("layer").set_index("layer")["value"] for k, g in sub.groupby(["dataset", "model", "seed"])}


def _fits(df, experiment, model_filter=lambda m: True):
    from lowdim.metrics.fits import geometric_fit, linear_fit

    out = []
    comp = _layer_fit_rows(df, experiment, "compression")
    disc = _layer_fit_rows(df, experiment, "discrimination")
    for key, c in comp.items():
        if not model_filter(key[1]):
            continue
        hidden = c.index.to_numpy(float) >= 1
        x = c.index.to_numpy(float)[hidden]
        g = geometric_fit(x, c.to_numpy()[hidden])
        d = disc[key]
        lf = linear_fit(d.index.to_numpy(float)[hidden], d.to_numpy()[hidden])
        out.append({"run": "/".join(map(str, key)), "rate": g["rate"], "comp_r2": g["r2"], "disc_r2": lf["r2"],
                    "slope": lf["slope"]})
    return pd.DataFrame(out)


#: fit kind -> (its R^2 column, its rate/slope column, the condition on that column)
FITS = {"compression": ("comp_r2", "rate", lambda v: v < 1, "rate < 1"),
        "discrimination": ("disc_r2", "slope", lambda v: v > 0, "slope > 0")}


def _fit_claim(fits: pd.DataFrame, th: dict, kind: str):
    r2, coef, good, says = FITS[kind]
    ok = (fits[r2] >= th["fit_r2"]) & good(fits[coef])
    worst = fits.sort_values(r2).iloc[0]
    return (float(worst[r2]), f"R^2 >= {th['fit_r2']:g} and {says} in every run", bool(ok.all()),
            f"{int(ok.sum())}/{len(fits)} runs; worst {worst['run']} ({coef} {worst[coef]:.3g})")


@claim("dln_geometric_compression", "dln", "Wang et al. 2023", "Thm. 1, Fig. 2",
       "In deep linear networks each layer compresses within-class variation at a geometric rate.")
def _dln_comp(ev, th):
    return _fit_claim(_fits(ev.tables["dln"], "progressive", lambda m: m.startswith("linear")), th, "compression")


@claim("dln_linear_discrimination", "dln", "Wang et al. 2023", "Thm. 1, Fig. 2",
       "In deep linear networks discrimination between classes grows linearly with depth.")
def _dln_disc(ev, th):
    return _fit_claim(_fits(ev.tables["dln"], "progressive", lambda m: m.startswith("linear")), th, "discrimination")


@claim("nonlinear_geometric_compression", "collapse", "Wang et al. 2023", "Sec. 5, Fig. 5",
       "Trained nonlinear networks (MLP and hybrid) compress geometrically across layers too.")
def _nl_comp(ev, th):
    return _fit_claim(_fits(ev.tables["collapse"], "layerwise", lambda m: m.endswith("-standard")), th, "compression")


@claim("transfer_before_last", "collapse", "Wang et al. 2023", "Sec. 5, Fig. 7",
       "Less-collapsed features transfer better: the best linear-probe layer comes before the last.")
def _transfer(ev, th):
    sub = ev.tables["collapse"]
    sub = sub[(sub["experiment"] == "transfer") & (sub["metric"] == "transfer_acc")]
    wins, notes = 0, []
    groups = list(sub.groupby(["dataset", "model", "seed"]))
    for key, g in groups:
        g = g.sort_values("layer")
        best = int(g.loc[g["value"].idxmax(), "layer"])
        last = int(g["layer"].max())
        wins += best < last
        notes.append(f"{key[0]}/{key[1]}: best layer {best} of {last}")
    frac = wins / len(groups) if groups else float("nan")
    return frac, "1.0 (every transfer run)", frac == 1.0, "; ".join(notes)


# --- law of parsimony ---------------------------------------------------------------------------

@claim("law_of_parsimony", "dln", "Yaras et al. 2023", "Thm. 1, Fig. 1",
       "GD from orthogonal init (whitened inputs) changes only 2r singular values and keeps the rest's subspace fixed.")
def _parsimony(ev, th):
    df = ev.tables["dln"]
    inv = df[(df["experiment"] == "invariant") & df["model"].isin(["gd-whitened", "momentum-whitened"])]
    if inv.empty:
        return float("nan"), "GD runs present", False, "no gd/momentum-whitened run in the table"
    rank = int(inv["dataset"].iloc[0].rsplit("r", 1)[1])
    moving = float(inv[inv["metric"] == "moving_singular_values"]["value"].max())
    angle = float(inv[inv["metric"].str.startswith("angle_fixed")]["value"].max())
    ok = moving <= 2 * rank and angle <= th["parsimony_angle"]
    return moving, f"<= 2r = {2 * rank} moving, angle <= {th['parsimony_angle']:g} rad", bool(ok), \
        f"largest angle of the fixed subspace {angle:.2g} rad"


@claim("compressed_follows_full", "dln", "Yaras et al. 2023", "Sec. 4, Fig. 4",
       "The compressed width-2r network follows the full network's end-to-end trajectory, faster.")
def _compressed(ev, th):
    c = ev.summaries["dln"]["compressed"]
    dev = c["compressed"].get("max_deviation_from_full", float("inf"))
    speed = c["speedup_compressed_vs_full"]
    ok = dev <= th["trajectory_tol"] and speed > 1
    return dev, f"deviation <= {th['trajectory_tol']:g}, speed-up > 1", bool(ok), f"wall-clock speed-up {speed:.2f}x"


# --- deep matrix completion ----------------------------------------------------------------------

def _depth_width_final(df):
    sub = df[(df["experiment"] == "depth_width") & (df["metric"] == "test_error")].sort_values("step")
    last = sub.groupby(["model", "seed"]).agg(value=("value", "last"), step=("step", "last")).reset_index()
    last[["depth", "width"]] = last["model"].str.extract(r"L(\d+)-w(\d+)").astype(int)
    return last


@claim("depth_prevents_overfitting", "completion", "Yaras et al. 2024", "Sec. 3.1, Fig. 2",
       "At large width, a depth-3 factorization completes the matrix where depth 2 overfits.")
def _depth(ev, th):
    last = _depth_width_final(ev.tables["completion"])
    wide = last[last["width"] == last["width"].max()].groupby("depth")["value"].mean()
    if not {2, 3} <= set(wide.index):
        return float("nan"), "depths 2 and 3", False, "the table lacks depth 2 or 3"
    ratio = float(wide[2] / wide[3])
    return ratio, f"depth-2 / depth-3 test error >= {th['depth_gap']:g}", bool(ratio >= th["depth_gap"]), \
        f"width {last['width'].max()}: {wide[2]:.2g} vs {wide[3]:.2g}"


@claim("width_accelerates", "completion", "Yaras et al. 2024", "Sec. 3.1, Fig. 2",
       "Wider depth-3 factorizations converge in fewer iterations.")
def _width(ev, th):
    last = _depth_width_final(ev.tables["completion"])
    d3 = last[last["depth"] == 3].groupby("width")["step"].mean().sort_index()
    if len(d3) < 2:
        return float("nan"), "two widths", False, "fewer than two depth-3 widths"
    ok = d3.iloc[-1] < d3.iloc[0]
    return float(d3.iloc[-1] / d3.iloc[0]), "iterations(widest) / iterations(narrowest) < 1", bool(ok), \
        ", ".join(f"w{w}: {s:.0f}" for w, s in d3.items())


@claim("compressed_completion", "completion", "Yaras et al. 2024", "Sec. 3.2, Fig. 4",
       "Compressed deep completion (discrepant learning rate) reaches the full-width network's test error.")
def _comp_completion(ev, th):
    s = ev.summaries["completion"]["speed"]
    comp = {k: v for k, v in s.items() if k.startswith("compressed-") and not k.endswith("-g0")}
    if not comp:
        return float("nan"), "a compressed run with gamma > 0", False, "none in the run"
    best = min(comp, key=lambda k: comp[k]["final_test_error"])
    err, full = comp[best]["final_test_error"], s["full"]["final_test_error"]
    ok = err <= th["completion_error"] and full <= th["completion_error"]
    return err, f"<= {th['completion_error']:g} (full width: {full:.2g})", bool(ok), \
        f"{best}; its speed-up over full width {comp[best]['speedup_vs_full'] or float('nan'):.2f}x, " \
        f"ALS {s['als']['speedup_vs_full'] or float('nan'):.0f}x"


@claim("movielens_rmse", "completion", "Yaras et al. 2024", "Sec. 3.2, Fig. 5",
       "On MovieLens-100K the compressed deep factorization matches the full-width test RMSE.")
def _movielens(ev, th):
    s = ev.summaries["completion"]["movielens"]
    c, f = s["compressed"]["best_test_rmse"], s["full"]["best_test_rmse"]
    return c, f"<= full width's {f:.3f} + {th['rmse_tol']:g}", bool(c <= f + th["rmse_tol"]), \
        f"ALS {s['als']['best_test_rmse']:.3f}; predicting the mean {s['_baseline_mean_rating_rmse']:.3f}"


# --- Deep LoRA -------------------------------------------------------------------------------------

def _dev(ev):
    from lowdim.studies.adapt.analyze import final_dev

    return final_dev(ev.tables["adapt"])


@claim("deep_lora_small_n", "adapt", "Yaras et al. 2024", "Sec. 4, Fig. 7",
       "With few training samples Deep LoRA fine-tunes at least as well as LoRA.")
def _small_n(ev, th):
    last = _dev(ev)
    n = int(last["n"].min())
    m = last[last["n"] == n].groupby(["method", "rank"])["value"].mean()
    pairs = [(r, m[("deep_lora", r)] - m[("lora", r)]) for r in sorted({r for _, r in m.index})
             if ("deep_lora", r) in m and ("lora", r) in m]
    if not pairs:
        return float("nan"), "LoRA and Deep LoRA at the same rank", False, "missing"
    gap = float(np.mean([g for _, g in pairs]))
    return gap, ">= 0 (Deep LoRA minus LoRA dev Pearson)", bool(gap >= 0), f"n = {n}, ranks {[r for r, _ in pairs]}"


@claim("deep_lora_rank_robust", "adapt", "Yaras et al. 2024", "Sec. 4, Fig. 8",
       "Deep LoRA's dev performance varies less across adapter ranks than LoRA's.")
def _rank_robust(ev, th):
    last = _dev(ev)
    n = last.groupby("n")["rank"].nunique().idxmax()
    m = last[last["n"] == n].groupby(["method", "rank"])["value"].mean()
    spread = {meth: float(g.max() - g.min()) for meth, g in m.groupby(level=0)}
    if min(last[last["n"] == n].groupby("method")["rank"].nunique(), default=0) < 2:
        return float("nan"), "two ranks per method", False, "fewer than two ranks"
    return spread["deep_lora"], f"< LoRA's spread {spread['lora']:.3f}", bool(spread["deep_lora"] < spread["lora"]), \
        f"n = {n}, ranks {sorted(last['rank'].unique().tolist())}"


# --- evaluation and outputs ------------------------------------------------------------------------

def evaluate(ev: Evidence, thresholds: dict) -> pd.DataFrame:
    rows = []
    for c in REGISTRY:
        if c.study not in ev.tables and c.study not in ev.summaries:
            continue
        try:
            measured, expected, passed, detail = c.check(ev, thresholds)
        except (KeyError, IndexError, ValueError) as e:  # the run lacks what the claim needs
            measured, expected, passed, detail = float("nan"), "evidence present", False, f"cannot evaluate: {e!r}"
        rows.append({"claim": c.name, "study": c.study, "paper": c.paper, "where": c.where, "statement": c.statement,
                     "expected": expected, "measured": float(measured), "passed": bool(passed), "detail": detail})
    return pd.DataFrame(rows)


def markdown(df: pd.DataFrame) -> str:
    lines = ["| claim | paper | expected | measured | pass |", "|---|---|---|---|---|"]
    for r in df.itertuples():
        lines.append(f"| **{r.claim}**: {r.statement} | {r.paper}, {r.where} | {r.expected} | {r.measured:.4g} "
                     f"({r.detail}) | {'yes' if r.passed else '**no**'} |")
    lines.append("")
    lines.append(f"{int(df['passed'].sum())} of {len(df)} claims hold in this run.")
    return "\n".join(lines) + "\n"


def html(df: pd.DataFrame, provenance: dict) -> str:
    """A self-contained page: the claims table and the run's provenance (for the Snakemake report)."""
    import html as h

    rows = "".join(
        f"<tr class='{'pass' if r.passed else 'fail'}'><td><b>{h.escape(r.claim)}</b><br>{h.escape(r.statement)}</td>"
        f"<td>{h.escape(r.paper)}, {h.escape(r.where)}</td><td>{h.escape(r.expected)}</td>"
        f"<td>{r.measured:.4g}<br><small>{h.escape(r.detail)}</small></td><td>{'yes' if r.passed else 'no'}</td></tr>"
        for r in df.itertuples())
    prov = "".join(f"<tr><td>{h.escape(k)}</td><td>{h.escape(str(v))}</td></tr>" for k, v in provenance.items())
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>lowdim claims</title><style>"
        "body{font-family:sans-serif;font-size:13px} table{border-collapse:collapse;margin-bottom:1em}"
        "td,th{border:1px solid #ccc;padding:4px;vertical-align:top} tr.fail td:last-child{color:#b00;font-weight:bold}"
        "tr.pass td:last-child{color:#070}</style></head><body>"
        f"<h2 id='claims'>Claims: {int(df['passed'].sum())} of {len(df)} hold in this run</h2>"
        "<table><tr><th>claim</th><th>paper</th><th>expected</th><th>measured</th><th>pass</th></tr>"
        f"{rows}</table><h2 id='provenance'>Provenance</h2><table>{prov}</table></body></html>\n")


def score(inputs: list, summaries: list, thresholds: dict, out_parquet: str, out_md: str, summary_out: str,
          out_html: str = "") -> None:
    """Evaluate every claim on the study tables/summaries (paths named results/<study>/...)."""
    ev = Evidence({Path(t).parent.name: tables.read(t) for t in inputs},
                  {Path(s).stem: json.load(open(s)) for s in summaries})
    df = evaluate(ev, thresholds)
    write_atomic(out_parquet, lambda tmp: df.to_parquet(tmp, index=False))
    write_atomic(out_md, lambda tmp: Path(tmp).write_text(markdown(df)))
    if out_html:
        from lowdim import provenance

        first = next(iter(ev.tables.values()))
        prov = {"git revision (tables)": ", ".join(sorted({str(v) for t in ev.tables.values() for v in t["git_rev"].unique()})),
                "params hash (per study)": ", ".join(f"{k}: {t['params_hash'].iloc[0]}" for k, t in ev.tables.items()),
                "lowdim version": first["lowdim_version"].iloc[0], "device": provenance.device_name(),
                **{f"version: {k}": v for k, v in provenance.versions().items()}}
        write_atomic(out_html, lambda tmp: Path(tmp).write_text(html(df, prov)))
    per_study = {s: {"passed": int(g["passed"].sum()), "total": int(len(g))} for s, g in df.groupby("study")}
    per_study["all"] = {"passed": int(df["passed"].sum()), "total": int(len(df))}
    write_json(summary_out, per_study)


START, END = "<!-- claims:start -->", "<!-- claims:end -->"


def readme(claims_md: str, readme_path: str = "README.md") -> None:
    """Replace the README's "What this reproduces" table with ``claims_md`` (a default run's)."""
    text = Path(readme_path).read_text()
    if START not in text or END not in text:
        raise ValueError(f"{readme_path} has no {START} ... {END} section")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    write_atomic(readme_path, lambda tmp: Path(tmp).write_text(head + START + "\n" + Path(claims_md).read_text() + END + tail))
