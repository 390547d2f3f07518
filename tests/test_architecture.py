"""The package's layering: studies import the shared layers, never each other; the shared layers
never import a study. Checked on the source (AST), so an import inside a function counts too."""

from pathlib import Path

import lowdim
from lowdim.pipeline import imported

ROOT = Path(lowdim.__file__).parent
#: layers every study may use; none of them may import a study (or the scorecard above the studies)
SHARED = ("data", "models", "train", "metrics", "figures")


def forbidden(root: Path) -> list[str]:
    """'file imports module' for every import that breaks the layering under ``root`` (a lowdim tree)."""
    bad = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        for mod in sorted({".".join(m.split(".")[:3]) for m in imported(path)}):  # lowdim.<layer>.<study>
            target = mod.split(".")[1:]
            if parts[0] == "studies" and len(parts) > 2 and target[:1] == ["studies"] and target[1:2] != [parts[1]]:
                bad.append(f"{'/'.join(parts)} imports {mod} (a study imports another study)")
            if parts[0] in SHARED and target[:1] in (["studies"], ["claims"]):
                bad.append(f"{'/'.join(parts)} imports {mod} (a shared layer imports a study)")
    return bad


def test_no_forbidden_imports():
    assert forbidden(ROOT) == []


def test_the_check_finds_a_forbidden_import(tmp_path):
    for rel, text in {"studies/a/x.py": "from lowdim.studies.b.y import f\n",
                      "studies/b/y.py": "def f():\n    from lowdim.studies.b import z\n",
                      "models/m.py": "import lowdim.studies.a.x\n"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    found = forbidden(tmp_path)
    assert len(found) == 2, found
    assert found[0].startswith("models/m.py imports lowdim.studies.a ")
    assert found[1].startswith("studies/a/x.py imports lowdim.studies.b ")


def test_dvc_yaml_is_generated_from_the_registry():
    """dvc.yaml (its stages, params keys, outputs and each stage's code deps, derived as the rules' are by
    lowdim.pipeline.code) is what `python -m lowdim dvc yaml` writes."""
    from lowdim.dvc import text

    assert text(str(ROOT.parent)) == (ROOT.parent / "dvc.yaml").read_text(), "dvc.yaml is stale: run `python -m lowdim dvc yaml`"


def test_params_schema_is_generated_from_the_dataclasses():
    from lowdim.specs.schema import PATH, text

    assert PATH.read_text() == text(), "the params schema is stale: run `python -m lowdim params schema`"


def test_the_claims_framework_imports_no_study_and_studies_import_only_its_verdicts():
    """lowdim/claims/verdicts.py is what a study's claims.py uses; the scorecard finds the studies through the registry."""
    assert not [m for m in imported(ROOT / "claims" / "verdicts.py") if m.startswith("lowdim.studies")]
    for path in sorted((ROOT / "studies").rglob("*.py")):
        used = {".".join(m.split(".")[:3]) for m in imported(path) if m.startswith("lowdim.claims")}
        assert used <= {"lowdim.claims", "lowdim.claims.verdicts"}, path
    assert max(len(p.read_text().splitlines()) for p in (ROOT / "claims").glob("*.py")) <= 300


def _cycles(package: Path) -> list[tuple[str, str]]:
    """Pairs of modules of one package that import each other (directly or through a longer chain)."""
    name = "lowdim." + package.name
    graph = {f"{name}.{p.stem}": {m for m in imported(p) if m.startswith(name + ".")} for p in package.glob("*.py")
             if p.stem != "__init__"}
    def reach(a):
        seen, todo = set(), list(graph.get(a, ()))
        while todo:
            m = todo.pop()
            if m not in seen:
                seen.add(m)
                todo += graph.get(m, ())
        return seen
    return sorted((a, b) for a in graph for b in reach(a) if a < b and a in reach(b))


def test_no_import_cycle_between_modules_of_a_layer():
    for layer in (*SHARED, "claims", "specs"):
        assert _cycles(ROOT / layer) == [], layer


def test_the_cycle_check_finds_one(tmp_path):
    pkg = tmp_path / "metrics"
    pkg.mkdir()
    (pkg / "a.py").write_text("from lowdim.metrics.b import f\n")
    (pkg / "b.py").write_text("def f():\n    from lowdim.metrics.a import g\n")
    assert _cycles(pkg) == [("lowdim.metrics.a", "lowdim.metrics.b")]


def test_code_deps_follow_imports_only():
    from lowdim.pipeline import code

    fig = code("dln figure-progressive")
    assert "lowdim/studies/dln/figures.py" in fig and "lowdim/metrics/fits.py" in fig  # a function-level import
    assert not any(f.startswith(("lowdim/studies/dln/parsimony", "lowdim/models/", "lowdim/train/")) for f in fig)
    speed = code("completion speed")
    assert "lowdim/models/factors.py" in speed and not any("studies/dln" in f for f in speed)
    assert "lowdim/studies/dln/figures.py" not in code("dln progressive", "dln invariant", "dln compressed", "dln aggregate")
