"""A study is one folder: adding one touches its package, its rules file and one registry line, and it
shows up everywhere else (the CLI, the params and their schema, the DAG, dvc.yaml, the scorecard)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import yaml

from conftest import make_project, run

FILES = {
    "lowdim/studies/toy/__init__.py": '''
        """A toy study: counts to n (the scratch study of tests/test_study_unit.py)."""

        from __future__ import annotations

        from lowdim.studies.toy.params import Toy as PARAMS  # noqa: F401

        STUDY = "toy"
        STEPS = {"count": "steps:count"}
        DVC = {"plot": ("step", "value")}
        ''',
    "lowdim/studies/toy/params.py": '''
        from __future__ import annotations

        from dataclasses import dataclass

        from lowdim.specs.base import param


        @dataclass(frozen=True)
        class Toy:
            """A toy study that counts."""

            n: int = param(3, "how far to count", minimum=1, maximum=100)


        TINY = {"toy": {"n": 2}}
        ''',
    "lowdim/studies/toy/steps.py": '''
        from __future__ import annotations

        import csv
        import json
        from pathlib import Path

        from lowdim import tables
        from lowdim.config import params_hash


        def count(n: int, out: str, summary_out: str, curves_out: str) -> None:
            """Count from 1 to n: one row per step."""
            rows = [{"study": "toy", "experiment": "count", "model": "counter", "dataset": "none", "seed": 0,
                     "step": k, "step_unit": "iteration", "layer": None, "metric": "value", "value": float(k)}
                    for k in range(1, n + 1)]
            tables.write(tables.frame(rows, params_hash({"n": n})), out)
            Path(summary_out).parent.mkdir(parents=True, exist_ok=True)
            Path(summary_out).write_text(json.dumps({"n": n}))
            Path(curves_out).parent.mkdir(parents=True, exist_ok=True)
            with open(curves_out, "w") as f:
                csv.writer(f).writerows([("step", "value")] + [(k, k) for k in range(1, n + 1)])
        ''',
    "lowdim/studies/toy/claims.py": '''
        from __future__ import annotations

        from lowdim.claims.verdicts import ClaimSet, every_run

        CLAIMS = ClaimSet("toy")


        @CLAIMS.claim("toy_counts_up", "Nobody 2026", "Eq. 1", "The toy counts up.", paper_value="1, 2, ..., n")
        def _counts_up(ev, th):
            rows = ev.rows("toy", "count", "value").sort_values("step")
            steps = rows["value"].diff().dropna()
            return every_run({f"step {s}": v for s, v in zip(rows["step"].iloc[1:], steps)}, lambda v: v > 0,
                             "each value above the last", "")
        ''',
    "workflow/rules/toy.smk": '''
        rule toy_count:
            input:
                code("toy count"),
            output:
                table=paths.table("toy"),
                summary=paths.summary("toy"),
                curves=paths.curves("toy"),
            params:
                n=config["toy"]["n"],
            shell:
                "python -m lowdim toy count --n {params.n} --out {output.table} --summary-out {output.summary}"
                " --curves-out {output.curves}"


        rule toy:
            input:
                rules.toy_count.output,
        ''',
}


def add_toy_study(project: Path) -> None:
    for rel, text in FILES.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(textwrap.dedent(text).lstrip())
    registry = project / "lowdim/studies/__init__.py"
    text = registry.read_text()
    assert '    "rhm",\n)' in text
    registry.write_text(text.replace('    "rhm",\n)', '    "rhm",\n    "toy",\n)'))  # the one registry line


def test_a_new_study_is_its_folder_its_rules_file_and_one_registry_line(tmp_path):
    project = make_project(tmp_path / "p")
    add_toy_study(project)
    changed = run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=project).stdout.split("\n")
    assert sorted(line[3:] for line in changed if line) == sorted([*FILES, "lowdim/studies/__init__.py"])
    assert run(["git", "diff", "--numstat"], cwd=project).stdout.split()[:2] == ["1", "0"]  # one line added

    # the CLI lists it, with its description and its step
    assert "A toy study: counts to n" in run(["python", "-m", "lowdim", "--help"], cwd=project).stdout
    assert "count" in run(["python", "-m", "lowdim", "toy", "--help"], cwd=project).stdout
    # its parameters are in params (default filled in) and in the schema, range-checked before any job
    dry = run(["snakemake", "-n", "--cores", "1"], cwd=project).stdout
    assert "toy_count" in dry and "claims" in dry
    (tmp_path / "bad.yaml").write_text("toy: {n: 0}\n")
    bad = run(["snakemake", "-n", "--cores", "1", "--configfile", str(tmp_path / "bad.yaml")], cwd=project, check=False)
    assert bad.returncode != 0 and "params: toy.n = 0 is not allowed: must be >= 1" in bad.stderr + bad.stdout
    run(["python", "-m", "lowdim", "params", "schema"], cwd=project)
    schema = yaml.safe_load((project / "workflow/schemas/params.schema.yaml").read_text())
    assert schema["properties"]["toy"]["properties"]["n"]["maximum"] == 100
    # its DVC stage, with its params and its code
    run(["python", "-m", "lowdim", "dvc", "yaml"], cwd=project)
    stage = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]["toy"]
    assert stage["cmd"].endswith("snakemake toy --cores all") and "toy" in stage["params"]
    assert "lowdim/studies/toy/steps.py" in stage["deps"] and "workflow/rules/toy.smk" in stage["deps"]
    claims_deps = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]["claims"]["deps"]
    assert "lowdim/studies/toy/claims.py" in claims_deps and "results/embedded/toy/metrics.parquet" in claims_deps

    # it runs, and the scorecard holds its claim (the other studies were not run: no rows for them)
    run(["snakemake", "--cores", "1", "toy"], cwd=project)
    out = project / "results/embedded"
    run(["python", "-m", "lowdim", "claims", "score", "--inputs", str(out / "toy/metrics.parquet"),
         "--summaries", str(out / "summary/toy.json"), "--thresholds", json.dumps({}), "--out-parquet",
         str(tmp_path / "claims.parquet"), "--out-md", str(tmp_path / "claims.md"),
         "--summary-out", str(tmp_path / "claims.json")], cwd=project)
    claims = pd.read_parquet(tmp_path / "claims.parquet")
    assert claims[["claim", "study", "verdict"]].values.tolist() == [["toy_counts_up", "toy", "yes"]]
    assert "**toy_counts_up**: The toy counts up." in (tmp_path / "claims.md").read_text()


def test_any_study_can_be_left_out(tmp_path):
    """Dropping a study's registry line leaves a working pipeline without it (no rules file uses another's)."""
    project = make_project(tmp_path / "p")
    registry = project / "lowdim/studies/__init__.py"
    registry.write_text(registry.read_text().replace('    "collapse",\n', ""))
    params = yaml.safe_load((project / "params.yaml").read_text())
    del params["collapse"]  # its block goes with it (unknown keys are rejected)
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    dry = run(["snakemake", "-n", "--cores", "1"], cwd=project).stdout
    assert "collapse_train" not in dry and "rhm_train" in dry and "claims" in dry
    assert "collapse" not in run(["python", "-m", "lowdim", "--help"], cwd=project).stdout.split("positional")[0]
    run(["python", "-m", "lowdim", "dvc", "yaml"], cwd=project)
    assert "collapse" not in yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
