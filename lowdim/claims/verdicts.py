"""Claims and their verdicts: what a claim is, the evidence it reads, and how a verdict is stated.

A claim is a named function over the evidence (each study's Parquet table and the summary derived
from it) and the thresholds in ``params.yaml`` (``claims``); it returns a :class:`Result`: what it
measured, what the paper leads one to expect and the verdict on an interval. Each study declares
its claims in ``lowdim/studies/<study>/claims.py`` with a :class:`ClaimSet`; this module imports no
study.

Missing evidence is something a claim checks for: :meth:`Evidence.table`, :meth:`Evidence.summary`
and :meth:`Evidence.rows` raise :class:`MissingEvidence` when what the claim needs is not in the
run, and the scorecard turns that into "no evidence" with its message. Any other exception is a bug
(a renamed metric, a claim's own error) and fails the claims step (``lowdim.claims.scorecard``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import pandas as pd

#: every verdict, best first
VERDICTS = ("yes", "not resolved", "no", "no evidence")


class MissingEvidence(Exception):
    """What a claim needs is not in this run (a study left out, an experiment not configured)."""


@dataclass
class Evidence:
    tables: dict[str, pd.DataFrame]
    summaries: dict[str, dict]

    def table(self, study: str) -> pd.DataFrame:
        if study not in self.tables:
            raise MissingEvidence(f"no {study} table in this run")
        return self.tables[study]

    def summary(self, study: str) -> dict:
        if study not in self.summaries:
            raise MissingEvidence(f"no {study} summary in this run")
        return self.summaries[study]

    def rows(self, study: str, experiment: str, metric: str | None = None) -> pd.DataFrame:
        """The rows of one experiment (and metric) of a study's table; :class:`MissingEvidence` when there are none."""
        df = self.table(study)
        sub = df[(df["experiment"] == experiment) & ((df["metric"] == metric) if metric else True)]
        if sub.empty:
            raise MissingEvidence(f"no {study} rows of experiment {experiment!r}" + (f", metric {metric!r}" if metric else ""))
        return sub


def require(condition: bool, what: str) -> None:
    """:class:`MissingEvidence` with ``what`` unless ``condition``: a claim's own check for the runs it needs."""
    if not condition:
        raise MissingEvidence(what)


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
        return stated(self.measured, self.low, self.high, self.method, self.n)


def no_evidence(expected: str, detail: str) -> Result:
    return Result(float("nan"), expected, "no evidence", detail)


def stated(mean: float, low: float, high: float, method: str, n: int) -> str:
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


#: what a claim's check returns: one Result, or one per key (a claim evaluated per data source gives the rows
#: "<claim>[<key>]")
Outcome = "Result | dict[str, Result]"


@dataclass(frozen=True)
class Claim:
    name: str
    study: str
    paper: str
    where: str
    statement: str
    check: Callable[[Evidence, dict], Result | dict[str, Result]]
    #: what the paper (or the authors' code) reports for this claim, with its setting
    paper_value: str = "not looked up yet"


@dataclass
class ClaimSet:
    """A study's claims, in the order its scorecard rows appear: ``CLAIMS = ClaimSet("dln")`` in
    ``lowdim/studies/dln/claims.py``, each claim a function decorated with ``@CLAIMS.claim(...)``."""

    study: str
    claims: list[Claim] = field(default_factory=list)

    def claim(self, name: str, paper: str, where: str, statement: str, paper_value: str = "not looked up yet"):
        def wrap(fn):
            self.claims.append(Claim(name, self.study, paper, where, statement, fn, paper_value))
            return fn
        return wrap

    def __iter__(self):
        return iter(self.claims)
