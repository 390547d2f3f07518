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


def test_dvc_yaml_lists_the_code_the_steps_import():
    """The rules' code inputs and dvc.yaml's stage deps come from one derivation (lowdim.pipeline.code)."""
    from lowdim.dvc import _with_code_deps

    text = (ROOT.parent / "dvc.yaml").read_text()
    assert _with_code_deps(text) == text, "dvc.yaml is stale: run `python -m lowdim dvc deps`"


def test_code_deps_follow_imports_only():
    from lowdim.pipeline import code

    fig = code("dln figure-progressive")
    assert "lowdim/studies/dln/figures.py" in fig and "lowdim/metrics/fits.py" in fig  # a function-level import
    assert not any(f.startswith(("lowdim/studies/dln/parsimony", "lowdim/models/", "lowdim/train/")) for f in fig)
    speed = code("completion speed")
    assert "lowdim/models/factors.py" in speed and not any("studies/dln" in f for f in speed)
    assert "lowdim/studies/dln/figures.py" not in code("dln progressive", "dln invariant", "dln compressed", "dln aggregate")
