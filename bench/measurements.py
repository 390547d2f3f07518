"""The measurement log: benches append their timings to docs/measurements.md, one row each, with the
CPU model, the date and the git revision, so that no timing is pasted by hand.

    from measurements import record
    record("embedded cold run", seconds=512.3, budget=600, job_seconds=1042.0)
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "docs" / "measurements.md"
END = "<!-- log:end -->"


def cpu() -> str:
    """The CPU's model name, family and model (first-generation Zen is family 23, model 1), and cores."""
    from lowdim.provenance import cpu_name

    return cpu_name()


def revision() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip()
        return rev + ("+changes" if dirty else "")
    except OSError:
        return "?"


def record(what: str, seconds: float, budget: float | None = None, job_seconds: float | None = None,
           note: str = "") -> None:
    """Append one row to the log (date, revision, CPU, what, seconds, ratio to budget, job-seconds, note)."""
    ratio = f"{seconds / budget:.2f}" if budget else "-"
    jobs = f"{job_seconds:,.0f}" if job_seconds is not None else "-"
    row = (f"| {dt.date.today().isoformat()} | {revision()} | {cpu()} | {what} | {seconds:,.1f} | {ratio} | {jobs} | "
           f"{note.replace('|', '/')} |")
    text = LOG.read_text()
    LOG.write_text(text.replace(END, row + "\n" + END))
    print(f"(logged in {LOG.relative_to(ROOT)})")
