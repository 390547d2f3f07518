"""Time the default study end to end against its budget (run on demand, not in tests).

    python bench/pipeline.py            # fresh copy of the project, default params.yaml
    python bench/pipeline.py --keep DIR  # ... kept in DIR (results/, logs/) for inspection

Prints the cold `snakemake --cores all` time and the no-op re-run time, each with its ratio
to the budget (10 minutes cold, 3 seconds no-op, on 2 CPU cores).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import env, make_project  # noqa: E402

BUDGET_COLD, BUDGET_NOOP = 600.0, 3.0


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(keep or tmp) / "lowdim", overlay=None)
        cold = timed(["snakemake", "--cores", "all"], project)
        noop = min(timed(["snakemake", "--cores", "all"], project) for _ in range(3))
    print(f"cold run : {cold:7.1f} s  budget {BUDGET_COLD:.0f} s  ratio {cold / BUDGET_COLD:.2f}")
    print(f"no-op run: {noop:7.2f} s  budget {BUDGET_NOOP:.0f} s    ratio {noop / BUDGET_NOOP:.2f}")


if __name__ == "__main__":
    main()
