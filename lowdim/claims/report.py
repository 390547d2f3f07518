"""The scorecard's writers: the claims table as markdown and HTML, the scale ladder (every scale run
so far side by side) and the sections of docs/scorecard.md (``python -m lowdim claims readme``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lowdim.claims.verdicts import VERDICTS
from lowdim.io import write_atomic


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


#: The scale ladder, smallest first (params ``scale``; each writes results/<scale>/). The rehearsal
#: (scale "rehearsal": the paper's jobs cut to a few steps) is not on it: its verdicts mean nothing.
SCALES = ("embedded", "medium", "paper")


def other_scales(out_parquet: str, scale: str) -> dict[str, pd.DataFrame]:
    """The claims tables of the other scales already run beside this one (results/<scale>/claims.parquet)."""
    here = Path(out_parquet)
    found = {}
    for p in sorted(here.parent.parent.glob(f"*/{here.name}")):
        if p.parent.name != scale and p.parent.name in SCALES:  # a rehearsal's verdicts are not results
            found[p.parent.name] = pd.read_parquet(p)
    return found


def provenance_of(ev, scale: str) -> dict:
    """The run's provenance for the HTML page: the tables' git revisions and params hashes, versions, device."""
    from lowdim import provenance

    first = next(iter(ev.tables.values()))
    return {"scale": scale,
            "git revision (tables)": ", ".join(sorted({str(v) for t in ev.tables.values() for v in t["git_rev"].unique()})),
            "params hash (per study)": ", ".join(f"{k}: {t['params_hash'].iloc[0]}" for k, t in ev.tables.items()),
            "lowdim version": first["lowdim_version"].iloc[0], "device": provenance.device_name(),
            **{f"version: {k}": v for k, v in provenance.versions().items()}}


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
