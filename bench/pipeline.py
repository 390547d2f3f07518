"""Time the default study end to end against its budget (run on demand, not in tests).

    python bench/pipeline.py             # fresh copy of the project, default params.yaml
    python bench/pipeline.py --keep DIR  # ... kept in DIR (results/, logs/) for inspection
    python bench/pipeline.py --medium    # the medium overlay (budget 60 minutes; no no-op/edit runs)

Prints, as each completes: the cold `snakemake --cores all` time, the no-op re-run time, the time
after editing one parameter (dln.compressed.lr: one training job and what reads it), each with
its ratio to the budget (10 minutes cold, 3 seconds no-op); then the per-rule table of the cold
run: wall seconds summed over the rule's jobs, split into start-up (interpreter and imports, before
the step runs) and work (the step itself, as `python -m lowdim` reports it in the job's log).
Each timing is also appended to docs/measurements.md with the CPU model, the date and the git
revision (``--no-log``: print only).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import env, make_project, write_params  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measurements import cpu, record  # noqa: E402

LOG = "--no-log" not in sys.argv

BUDGET_COLD, BUDGET_NOOP, BUDGET_MEDIUM = 600.0, 3.0, 3600.0


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def rule_table(project: Path, scale: str = "embedded") -> list[tuple[str, int, float, float]]:
    """(rule, jobs, wall s, work s) from the benchmark files and the jobs' logs (logs/<scale>/)."""
    import pandas as pd

    logs = project / "logs" / scale
    rows: dict[str, list] = {}
    for bench in sorted((logs / "benchmarks").glob("**/*.tsv")):
        rel = bench.relative_to(logs / "benchmarks").with_suffix("")
        log = logs / rel.parent / f"{rel.name}.log"
        wall = float(pd.read_csv(bench, sep="\t")["s"].iloc[-1])
        found = re.findall(r"finished in ([\d.]+) s", log.read_text()) if log.exists() else []
        work = float(found[-1]) if found else float("nan")
        rule = f"{rel.parent}/{rel.name.split('_')[0]}"
        r = rows.setdefault(rule, [0, 0.0, 0.0])
        r[0] += 1
        r[1] += wall
        r[2] += work
    return sorted(((k, *v) for k, v in rows.items()), key=lambda r: -r[2])


def print_table(table) -> None:
    print(f"\n{'rule':32s} {'jobs':>4s} {'wall s':>8s} {'start-up s':>10s} {'work s':>8s}")
    for rule, jobs, wall, work in table:
        print(f"{rule:32s} {jobs:4d} {wall:8.1f} {wall - work:10.1f} {work:8.1f}")
    total_wall, total_work = sum(r[2] for r in table), sum(r[3] for r in table)
    print(f"{'total (core-seconds)':32s} {sum(r[1] for r in table):4d} {total_wall:8.1f} {total_wall - total_work:10.1f} "
          f"{total_work:8.1f}")


def medium(project: Path) -> None:
    cold = timed(["snakemake", "--cores", "all", "--configfile", "workflow/configs/medium.yaml"], project)
    print(f"medium cold run: {cold:7.1f} s  budget {BUDGET_MEDIUM:.0f} s ratio {cold / BUDGET_MEDIUM:.2f}", flush=True)
    table = rule_table(project, "medium")
    print_table(table)
    if LOG:
        record("medium cold run (bench/pipeline.py --medium)", cold, BUDGET_MEDIUM, sum(r[2] for r in table))


def main() -> None:
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    print(f"CPU: {cpu()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(keep or tmp) / "lowdim", overlay=None)
        if "--medium" in sys.argv:
            return medium(project)
        cold = timed(["snakemake", "--cores", "all"], project)
        print(f"cold run      : {cold:7.1f} s  budget {BUDGET_COLD:.0f} s ratio {cold / BUDGET_COLD:.2f}", flush=True)
        noop = min(timed(["snakemake", "--cores", "all"], project) for _ in range(3))
        print(f"no-op run     : {noop:7.2f} s  budget {BUDGET_NOOP:.0f} s   ratio {noop / BUDGET_NOOP:.2f}", flush=True)
        table = rule_table(project)
        write_params(project, {"dln": {"compressed": {"lr": 0.4}}})
        edit = timed(["snakemake", "--cores", "all"], project)
        print(f"one-param edit: {edit:7.1f} s  (dln.compressed.lr: dln_compressed, its table, figures, claims)", flush=True)
    print_table(table)
    if LOG:
        record("embedded cold run (bench/pipeline.py)", cold, BUDGET_COLD, sum(r[2] for r in table))
        record("embedded no-op run", noop, BUDGET_NOOP)
        record("embedded run after one parameter edit (dln.compressed.lr)", edit)


if __name__ == "__main__":
    main()
