"""Steps shared by every study: parameter checks and dataset preparation."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from lowdim import config, data, paths


def check_params(files: list = None) -> None:
    """Validate params.yaml (merged with any further files, left to right)."""
    config.load(*(files or [config.PARAMS]))
    print("params OK")


def prepare_data(name: str, spec: dict, out: str, raw: str | None = None, mirror: str | None = None) -> None:
    """Prepare dataset NAME into OUT; spec = the ``data`` params it uses.

    The mirror comes from MIRROR, else $LOWDIM_DATA_MIRROR, and downloads are allowed unless
    $LOWDIM_DATA_DOWNLOAD=0 (the Snakefile sets both from params ``data``); raw copies go to RAW
    (default data/raw; the rehearsal keeps its own, see ``lowdim.paths.REHEARSAL_MIRROR``).
    """
    ctx = data.Context(
        raw_root=Path(raw or paths.RAW), mirror=mirror or paths.data_mirror(),
        download=os.environ.get("LOWDIM_DATA_DOWNLOAD", "1") != "0", params=spec,
    )
    data.prepare(name, ctx, out)


def shell_prefix(data_params: dict) -> str:
    """What every job's shell runs first: this interpreter's bin first on PATH (so
    ``python -m lowdim`` is the venv's) and where raw data is (see :func:`prepare_data`)."""
    env = {"LOWDIM_DATA_DOWNLOAD": "1" if data_params["download"] else "0"}
    mirror = paths.data_mirror(data_params["mirror"])
    if mirror:
        env["LOWDIM_DATA_MIRROR"] = os.path.abspath(mirror)
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    return f"set -euo pipefail; export PATH={shlex.quote(os.path.dirname(sys.executable))}:\"$PATH\" {exports}; "


def list_data() -> None:
    """List the registered datasets."""
    for name, s in sorted(data.REGISTRY.items()):
        print(f"{name:18s} {s.kind:15s} {s.description}")
