"""Fetching raw files: from a local mirror when one is configured, else the canonical URL.

Every file is verified against its SHA-256 before it is used. Offline with no mirror, the
error names the file, its source and how to stage it.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lowdim.errors import DataError
from lowdim.io import atomic_path

MIRROR_ENV = "LOWDIM_DATA_MIRROR"


@dataclass(frozen=True)
class RemoteFile:
    """One raw file: where it lives in a mirror, its checksum and its canonical source."""

    relpath: str  #: path inside the mirror and inside data/raw, e.g. "ml-100k/u.data"
    sha256: str
    url: str  #: canonical download (an archive when ``member`` is set)
    member: str | None = None  #: path of the file inside the archive at ``url``

    @property
    def source(self) -> str:
        return f"{self.url} (member {self.member})" if self.member else self.url


def sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def stage_hint(f: RemoteFile) -> str:
    got = f"download {f.url} and unpack {f.member} to" if f.member else f"download {f.url} to"
    return (
        f"stage it: {got} <mirror>/{f.relpath}, then set {MIRROR_ENV}=<mirror> "
        "(or data.mirror in params.yaml)"
    )


def fetch(f: RemoteFile, raw_root: str | Path, mirror: str | Path | None, download: bool, timeout: float = 30) -> Path:
    """Return the verified local copy of ``f`` under ``raw_root``, fetching it if needed."""
    dest = Path(raw_root) / f.relpath
    if dest.exists() and sha256(dest) == f.sha256:
        return dest
    if mirror:
        src = Path(mirror) / f.relpath
        if src.exists():
            with atomic_path(dest) as tmp:
                shutil.copyfile(src, tmp)
                _verify(tmp, f, where=str(src))
            return dest
    reason = f"not in the mirror {mirror}" if mirror else f"no mirror configured (${MIRROR_ENV} unset)"
    if not download:
        raise DataError(f"{f.relpath}: {reason} and downloads are off (data.download: false); {stage_hint(f)}")
    try:
        with urllib.request.urlopen(f.url, timeout=timeout) as r:
            payload = r.read()
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise DataError(f"{f.relpath}: {reason} and download from {f.url} failed ({e}); {stage_hint(f)}") from None
    with atomic_path(dest) as tmp:
        if f.member:
            with zipfile.ZipFile(io.BytesIO(payload)) as z:
                tmp.write_bytes(z.read(f.member))
        else:
            tmp.write_bytes(payload)
        _verify(tmp, f, where=f.source)
    return dest


def _verify(path: Path, f: RemoteFile, where: str) -> None:
    got = sha256(path)
    if got != f.sha256:
        raise DataError(
            f"{f.relpath}: SHA-256 mismatch for {where} (expected {f.sha256[:16]}…, got {got[:16]}…); "
            f"the copy is corrupt or a different release: re-stage it from {f.source}"
        )
