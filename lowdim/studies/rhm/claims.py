"""The randomized-histogram-matching claims (Yaras et al. 2024), one row per data source."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from lowdim.claims.verdicts import ClaimSet, MissingEvidence, no_evidence, over_seeds, require

CLAIMS = ClaimSet("rhm")


RHM_PAPER = ("no number read: the paper's text was not available here; its abstract: accuracy degrades "
             "substantially under the shift, RHM matches UDA methods and beats the simple approaches")


def per_source(check):
    """A claim evaluated per data source of the rhm table: ``check(ev, th, source)`` -> Result; the claim gives
    one row per source, named ``<claim>[<source>]``, its detail starting with what the source is."""
    from lowdim.studies.rhm import describe
    from lowdim.studies.rhm.analyze import split_dataset

    def wrapped(ev, th):
        sources = sorted(split_dataset(ev.table("rhm"))["source"].unique())
        out = {}
        for s in sources:
            try:
                r = check(ev, th, s)
            except MissingEvidence as e:  # this source lacks a method the claim compares
                r = no_evidence("its runs in the table", str(e))
            out[s] = replace(r, detail=f"{describe(s)}; {r.detail}")
        return out
    wrapped.__doc__ = check.__doc__
    return wrapped


def _rhm(ev, source: str, *methods: str) -> pd.DataFrame:
    """Per seed, each method's source and mean target IoU on one data source; ``methods``: those the claim needs."""
    from lowdim.studies.rhm.analyze import target_iou

    t = target_iou(ev.table("rhm"))
    t = t[t["data"] == source].pivot_table(index="seed", columns="method", values=["source", "target"])
    missing = [m for m in methods if m not in t["target"].columns]
    require(not missing, f"no {', '.join(missing)} runs on {source}")
    return t


@CLAIMS.claim("rhm_no_aug_degrades", "Yaras et al. 2024 (RHM)", "Sec. I, abstract",
              "Without augmentation, segmentation accuracy degrades under the pixel-wise domain shift.", paper_value=RHM_PAPER)
@per_source
def _rhm_degrades(ev, th, source):
    t = _rhm(ev, source, "none")
    gap = t[("source", "none")] - t[("target", "none")]
    return over_seeds(gap, "source IoU - mean target IoU > 0 over the interval (no augmentation)",
                        f"source {t[('source', 'none')].mean():.3f}, targets {t[('target', 'none')].mean():.3f}")


@CLAIMS.claim("rhm_closes_gap", "Yaras et al. 2024 (RHM)", "Sec. V, Tables",
              "RHM closes most of the gap between no augmentation and a target-supervised oracle on the target domains.",
              paper_value=RHM_PAPER)
@per_source
def _rhm_gap(ev, th, source):
    t = _rhm(ev, source, "none", "rhm", "oracle")["target"]
    closed = (t["rhm"] - t["none"]) / (t["oracle"] - t["none"])
    return over_seeds(closed - 0.5, "fraction of the gap closed - 0.5 > 0 over the interval (most = more than half)",
                        f"closed {closed.mean():.2f} of it: none {t['none'].mean():.3f}, RHM {t['rhm'].mean():.3f}, "
                        f"oracle {t['oracle'].mean():.3f} (mean target IoU)")


@CLAIMS.claim("rhm_beats_simple", "Yaras et al. 2024 (RHM)", "Sec. V, Tables",
              "On the target domains RHM beats each simple approach (photometric jitter, histogram equalization, gray world).",
              paper_value=RHM_PAPER)
@per_source
def _rhm_simple(ev, th, source):
    t = _rhm(ev, source, "rhm")["target"]
    simple = [m for m in ("jitter", "histeq", "grayworld", "none") if m in t]
    margin = t[simple].rsub(t["rhm"], axis=0).min(axis=1)  # per seed: RHM minus the best simple method
    return over_seeds(margin, "RHM - best simple method (mean target IoU) > 0 over the interval",
                        ", ".join(f"{m} {t[m].mean():.3f}" for m in simple + ["rhm"]))


@CLAIMS.claim("rhm_most_invariant", "Yaras et al. 2024 (RHM)", "Sec. IV (synthetic transformations)",
              "Under random pixel-wise transformations of the source test set, RHM-trained models degrade least.",
              paper_value=RHM_PAPER)
@per_source
def _rhm_invariant(ev, th, source):
    from lowdim.studies.rhm.analyze import invariance

    inv = invariance(ev.table("rhm"))
    inv = inv[inv["source"] == source]
    lo, hi = inv["strength"].min(), inv["strength"].max()
    at = inv.pivot_table(index=["seed", "strength"], columns="model", values="value")
    drop = at.xs(lo, level="strength") - at.xs(hi, level="strength")  # per seed and method
    others = [m for m in drop if m not in ("rhm", "oracle")]
    require("rhm" in drop and others, f"no rhm run and another method under transformations on {source}")
    margin = drop[others].min(axis=1) - drop["rhm"]
    return over_seeds(margin, f"smallest other drop - RHM's drop in IoU from strength {lo:g} to {hi:g} > 0",
                        ", ".join(f"{m} -{drop[m].mean():.3f}" for m in others + ["rhm"]))
