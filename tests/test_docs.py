"""The documentation: generated pages are up to date, every relative link resolves, every study has
its page, and the README stays a front door."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from lowdim import docs
from lowdim.errors import LowdimError

from conftest import ROOT

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def pages(root: Path = ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def dead_links(page: Path) -> list[str]:
    """Relative links (and #anchors into Markdown pages) of ``page`` that point nowhere."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)  # code blocks hold no links
    text = re.sub(r"`[^`\n]*`", "", text)
    dead = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            dead.append(target)
        elif anchor and dest.suffix == ".md":
            headings = re.findall(r"^#+ (.*)$", dest.read_text(), flags=re.M)
            if anchor not in {slug(h) for h in headings}:
                dead.append(target)
    return dead


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    assert dead_links(page) == []


def test_the_link_check_finds_a_dead_link_and_a_dead_anchor(tmp_path):
    (tmp_path / "b.md").write_text("# Real heading\n")
    page = tmp_path / "a.md"
    page.write_text("[ok](b.md) [ok too](b.md#real-heading) [web](https://example.org) `[not a link](x.md)`\n"
                    "[gone](missing.md) [no anchor](b.md#nowhere) ![img](fig.png)\n")
    assert dead_links(page) == ["missing.md", "b.md#nowhere", "fig.png"]


def test_generated_pages_are_up_to_date():
    docs.build(str(ROOT), check=True)  # raises, naming the stale pages and the command, when one is


def test_a_stale_page_is_caught(tmp_path):
    for rel in ["README.md", *(str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md"))]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    if (ROOT / docs.FIGURES).exists():
        shutil.copytree(ROOT / docs.FIGURES, tmp_path / docs.FIGURES)
    docs.build(str(tmp_path), check=True)
    params = tmp_path / docs.PARAMETERS
    params.write_text(params.read_text().replace("| `scale` |", "| `scale_renamed` |"))
    with pytest.raises(LowdimError, match=r"docs/parameters.md out of date: run `python -m lowdim docs build`"):
        docs.build(str(tmp_path), check=True)
    docs.build(str(tmp_path))
    docs.build(str(tmp_path), check=True)


def test_every_study_has_its_page_with_figures_and_results():
    assert set(docs.STUDIES) == {"adapt", "collapse", "completion", "dln", "rhm"}
    for study in docs.STUDIES:
        text = (ROOT / "docs" / "studies" / f"{study}.md").read_text()
        for marker in ("figures", "results"):
            assert f"<!-- {marker}:start -->" in text and f"<!-- {marker}:end -->" in text, (study, marker)
        assert f"docs/studies/{study}.md" in (ROOT / "README.md").read_text()


def test_every_parameter_key_is_documented():
    from lowdim.specs import help_text

    text = (ROOT / docs.PARAMETERS).read_text()
    keys = [line.split(":", 1)[0] for line in help_text()]
    missing = [k for k in keys if f"`{k}`" not in text and not re.search(r"\.models\.|\.optimizers\.", k)]
    assert missing == []


def test_readme_is_a_front_door():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200
    quick = text[text.index("## Quick start"):text.index("## Results")]
    assert "make all" in quick and "make test" in quick and "LOWDIM_DATA_MIRROR" in quick
