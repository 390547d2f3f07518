"""Shared figure conventions: one style, atomic PDF + PNG output."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from lowdim.io import write_atomic  # noqa: E402

plt.rcParams.update({
    "figure.dpi": 110, "savefig.dpi": 160, "axes.grid": True, "grid.alpha": 0.3,
    "axes.spines.top": False, "axes.spines.right": False, "font.size": 10, "legend.frameon": False,
})


def save(fig, *paths: str | Path) -> None:
    """Write ``fig`` to each path (format from the suffix) atomically, then close it."""
    for path in paths:
        fmt = Path(path).suffix.lstrip(".")
        meta = {"CreationDate": None} if fmt == "pdf" else {}
        write_atomic(path, lambda tmp: fig.savefig(tmp, format=fmt, bbox_inches="tight", metadata=meta))
    plt.close(fig)
