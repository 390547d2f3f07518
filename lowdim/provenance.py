"""Where a number came from: git revision, params hash, library versions, device."""

from __future__ import annotations

import os
import platform
import subprocess
from functools import lru_cache

from lowdim import __version__
from lowdim.config import ROOT


@lru_cache(maxsize=None)
def git_revision() -> str:
    """``git describe --always --dirty`` of the lowdim checkout ('unknown' outside git).

    ``$LOWDIM_GIT_REV`` overrides (clusters that copy the tree without .git).
    """
    if os.environ.get("LOWDIM_GIT_REV"):
        return os.environ["LOWDIM_GIT_REV"]
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=ROOT, capture_output=True, text=True, timeout=10, check=True,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def versions() -> dict[str, str]:
    import numpy
    import pandas
    import torch

    return {
        "lowdim": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
    }


def device_name() -> str:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"cpu ({platform.processor() or platform.machine()})"


def record(params_hash: str) -> dict[str, str]:
    """The provenance columns every table carries."""
    return {"git_rev": git_revision(), "params_hash": params_hash, "lowdim_version": __version__}
