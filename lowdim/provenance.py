"""Where a number came from: git revision, params hash, library versions, device."""

from __future__ import annotations

import os
import platform
import subprocess
from functools import lru_cache
from pathlib import Path

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


def cpu_name() -> str:
    """The CPU's model name, family and model (first-generation Zen is family 23, model 1), ISA and cores."""
    info = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
    except OSError:
        return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    flags = info.get("flags", "").split()
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return (f"{info.get('model name', '?')} (family {info.get('cpu family', '?')}, model {info.get('model', '?')}, {isa}), "
            f"{len(os.sched_getaffinity(0))} cores")


def record(params_hash: str) -> dict[str, str]:
    """The provenance columns every table carries."""
    return {"git_rev": git_revision(), "params_hash": params_hash, "lowdim_version": __version__}
