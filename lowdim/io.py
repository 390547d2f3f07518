"""Atomic, durable file writes: a killed job or a failed disk never leaves a half-written output.

Every writer goes to a temporary file in the destination's directory, which is flushed to disk
(``fsync``), given the mode the user's umask asks for (``mkstemp`` alone makes it 0600), and moved
into place with ``os.replace`` (atomic on POSIX within one file system); the directory is then
synced so that the rename itself survives a power loss. A write that fails because the disk is
full, the folder is not writable or the file system is read-only raises :class:`WriteError`: one
line naming the file, the cause and the fix, with the temporary file removed.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

from lowdim.errors import WriteError

#: errno -> (cause, fix); ``{dir}`` is the destination's folder
_CAUSES: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on device",
                   "free space there (df -h {dir}) or move the project to a larger disk, then re-run"),
    errno.EDQUOT: ("disk quota exceeded", "free space within your quota (quota -s) or move the project, then re-run"),
    errno.EACCES: ("permission denied", "make {dir} writable for this user (ls -ld {dir}), then re-run"),
    errno.EPERM: ("operation not permitted", "make {dir} writable for this user (ls -ld {dir}), then re-run"),
    errno.EROFS: ("read-only file system",
                  "run from a writable copy of the project or remount {dir} read-write, then re-run"),
    errno.EFBIG: ("file too large for this file system or limit", "raise the limit (ulimit -f) or write elsewhere, then re-run"),
    errno.EIO: ("input/output error on the device", "check the disk (dmesg) and re-run"),
}
#: below this many free bytes a writer's unexplained failure is taken for a full disk (torch's C++
#: writer reports ENOSPC as "iostream error" without an errno)
_NEARLY_FULL = 1 << 20
_umask_lock = threading.Lock()


def umask() -> int:
    """The process's current umask (read without changing it for longer than a moment)."""
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _errno_of(exc: BaseException) -> int | None:
    """The errno behind ``exc`` or the exceptions it was raised from, if one of ``_CAUSES``."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError):
            if exc.errno in _CAUSES:
                return exc.errno
            found = re.search(r"\[?errno (\d+)\]?", str(exc), flags=re.I)  # pyarrow puts it in the text
            if found and int(found.group(1)) in _CAUSES:
                return int(found.group(1))
        exc = exc.__cause__ or exc.__context__
    return None


def _free_bytes(folder: Path) -> int | None:
    try:
        st = os.statvfs(folder)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def write_error(path: Path, exc: BaseException, tmp: Path | None = None) -> WriteError | None:
    """A :class:`WriteError` for a failed write of ``path``, or None when ``exc`` is not one."""
    code = _errno_of(exc)
    if code in (errno.EACCES, errno.EPERM):  # only when the file refused is ours (not an input being read)
        name = getattr(exc, "filename", None)
        ours = name is None or str(name) == str(tmp) or path.is_relative_to(name)  # the file, its temp or a folder above
        if not ours:
            return None
    if code is None:
        free = _free_bytes(path.parent if path.parent.exists() else Path("/"))
        if isinstance(exc, (OSError, RuntimeError)) and free is not None and free < _NEARLY_FULL:
            code = errno.ENOSPC
        else:
            return None
    cause, fix = _CAUSES[code]
    folder = path.parent
    return WriteError(f"cannot write {path}: {cause} ({errno.errorcode[code]}); "
                      f"{fix.format(dir=folder)}; nothing was written")


def _sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:  # some file systems cannot sync a directory; the file itself is synced
        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success make it durable and move it onto ``path``.

    The result has mode ``0o666 & ~umask`` (0644 under umask 022). Write failures (disk full,
    permission denied, read-only file system) become one-line :class:`WriteError` s.
    """
    path = Path(path)
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(name)
        yield tmp
        with contextlib.suppress(OSError):  # best effort: some file systems (CIFS, FUSE) refuse modes
            os.chmod(tmp, 0o666 & ~umask())
        _sync_file(tmp)
        os.replace(tmp, path)
        _sync_dir(path.parent)
    except Exception as e:
        err = write_error(path, e, tmp)
        if err is None:
            raise
        raise err from e
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def write_atomic(path: str | os.PathLike, writer: Callable[[Path], Any]) -> Path:
    """Call ``writer(tmp_path)`` and move the result onto ``path`` atomically."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (through Python's file object: a full disk has an errno)."""
    def writer(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            f.write(data)

    return write_atomic(path, writer)


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    text = json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n"
    return write_atomic(path, lambda p: p.write_text(text))


def write_npz(path: str | os.PathLike, arrays: dict, compressed: bool = True) -> Path:
    """Write numpy arrays to ``path`` (.npz) atomically; no pickled objects."""
    import numpy as np

    save = np.savez_compressed if compressed else np.savez

    def writer(tmp: Path) -> None:
        with open(tmp, "wb") as f:  # a file object: numpy would append ".npz" to a name
            save(f, **arrays)

    return write_atomic(path, writer)


def write_torch(path: str | os.PathLike, obj: Any) -> Path:
    """``torch.save(obj)`` to ``path`` atomically: serialized in memory, then written by Python, so
    that a full disk is an ``OSError`` naming its errno rather than a C++ "iostream error"."""
    import io

    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    return write_bytes(path, buf.getbuffer())


def _json_default(x: Any) -> Any:
    if hasattr(x, "item"):  # numpy / torch scalars
        return x.item()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")
