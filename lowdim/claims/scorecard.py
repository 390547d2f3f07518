"""The scorecard: every registered study's claims evaluated on a run's tables and summaries.

``python -m lowdim claims score`` (the claims rule) reads each study's table and summary,
evaluates every claim of :func:`registry` and writes the claims table, its markdown and HTML, the
scale ladder and the DVC headline metrics (``lowdim.claims.report``). A claim whose evidence is
missing is "no evidence" with the reason it found; a claim that raises anything else stops the
step with one line naming the claim and the error.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from lowdim import tables
from lowdim.claims.verdicts import Claim, Evidence, MissingEvidence, Result, no_evidence
from lowdim.errors import ClaimError
from lowdim.io import write_atomic, write_json


def registry() -> list[Claim]:
    """Every claim of every registered study (lowdim.studies.STUDIES), in the scorecard's order."""
    from lowdim.studies import STUDIES

    out: list[Claim] = []
    for name in STUDIES:
        try:
            module = importlib.import_module(f"lowdim.studies.{name}.claims")
        except ModuleNotFoundError as e:
            if e.name != f"lowdim.studies.{name}.claims":
                raise
            continue  # a study without claims (yet)
        out += list(module.CLAIMS)
    return out


def evaluate(ev: Evidence, thresholds: dict, scale: str = "embedded", claims: list[Claim] | None = None) -> pd.DataFrame:
    """One row per claim (per key, for a claim evaluated per data source) of the studies in ``ev``."""
    rows = []
    for c in registry() if claims is None else claims:
        if c.study not in ev.tables and c.study not in ev.summaries:
            continue  # the study was not run
        try:
            got = c.check(ev, thresholds)
        except MissingEvidence as e:  # the claim looked for its runs and they are not in this run
            got = no_evidence("its runs in the table", str(e))
        except Exception as e:  # noqa: BLE001 - a bug: name the claim, not a traceback deep in pandas
            raise ClaimError(f"claim {c.name} ({c.study}) cannot be evaluated: {type(e).__name__}: {e}; fix "
                             f"lowdim/studies/{c.study}/claims.py or the metric it reads, then re-run the claims step") from e
        for name, r in ({c.name: got} if isinstance(got, Result) else
                        {f"{c.name}[{k}]": r for k, r in got.items()}).items():
            rows.append(_row(c, name, r, scale))
    return pd.DataFrame(rows)


def _row(c: Claim, name: str, r: Result, scale: str) -> dict:
    return {"claim": name, "study": c.study, "scale": scale, "paper": c.paper, "where": c.where,
            "statement": c.statement, "paper_value": c.paper_value, "expected": r.expected,
            "measured": float(r.measured), "seeds": int(r.n), "low": float(r.low), "high": float(r.high),
            "interval": r.method, "verdict": r.verdict, "passed": r.passed, "detail": r.detail}


def headline(df: pd.DataFrame) -> dict:
    """The DVC metrics of a run: claims held per study and each claim's measured value (a few dozen numbers)."""
    out: dict = {s: {"held": int(g["passed"].sum()), "total": int(len(g))} for s, g in df.groupby("study")}
    out["all"] = {"held": int(df["passed"].sum()), "not_resolved": int((df["verdict"] == "not resolved").sum()),
                  "total": int(len(df))}
    out["measured"] = {r.claim: (round(float(r.measured), 6) if np.isfinite(r.measured) else None) for r in df.itertuples()}
    return out


def evidence(inputs: list, summaries: list) -> Evidence:
    """The tables (``<results>/<study>/metrics.parquet``) and summaries (``<results>/summary/<study>.json``) of a run."""
    return Evidence({Path(t).parent.name: tables.read(t) for t in inputs},
                    {Path(s).stem: json.loads(Path(s).read_text()) for s in summaries})


def score(inputs: list, summaries: list, thresholds: dict, out_parquet: str, out_md: str, summary_out: str,
          out_html: str = "", scale: str = "embedded", ladder_md: str = "") -> None:
    """Evaluate every claim on the study tables/summaries (paths named <results>/<study>/...); with
    ``ladder_md``, also write the verdicts of every scale run so far side by side."""
    from lowdim.claims import report

    ev = evidence(inputs, summaries)
    df = evaluate(ev, thresholds, scale)
    write_atomic(out_parquet, lambda tmp: df.to_parquet(tmp, index=False))
    write_atomic(out_md, lambda tmp: Path(tmp).write_text(report.markdown(df)))
    frames = {scale: df, **report.other_scales(out_parquet, scale)}
    if ladder_md and scale in report.SCALES:
        write_atomic(ladder_md, lambda tmp: Path(tmp).write_text(report.ladder_markdown(frames)))
    if out_html:
        write_atomic(out_html, lambda tmp: Path(tmp).write_text(report.html(df, report.provenance_of(ev, scale), frames)))
    write_json(summary_out, headline(df))
