"""Progress of a long loop: a live bar in a terminal, plain lines in a log.

In a terminal (stderr is a TTY) :func:`progress` is a tqdm bar. Anywhere else (a Snakemake job's log,
``make all | tee``, a Slurm output file) carriage-return bar updates would pile up dozens of states on
one line, so it writes one plain line instead at most every ``every`` fraction of the work or
``seconds`` seconds (whichever comes first, never more often than ``min_seconds``), and one at the end::

    [lowdim] completion/speed/full: 120/600 (20%), 9 s, loss=0.0271
"""

from __future__ import annotations

import os
import sys
import time
from typing import Iterable, Iterator, TextIO


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Lines:
    """The tqdm calls the training loop uses (iteration, ``set_postfix``, ``close``), as plain log lines."""

    def __init__(self, iterable: Iterable, total: int, initial: int = 0, desc: str = "", file: TextIO | None = None,
                 every: float = 0.1, seconds: float = 60.0, min_seconds: float = 2.0, disable: bool = False):
        self.iterable, self.total, self.n, self.desc = iterable, total, initial, desc
        self.file = file or sys.stderr
        self.every, self.seconds, self.min_seconds, self.disable = every, seconds, min_seconds, disable
        self.start = self.last_time = time.perf_counter()
        self.last_n, self.postfix, self.closed = initial, "", False

    def __iter__(self) -> Iterator:
        for item in self.iterable:
            yield item
            self.n += 1
            self._maybe_write()

    def set_postfix(self, **values) -> None:
        self.postfix = ", ".join(f"{k}={v}" for k, v in values.items())

    def _line(self) -> str:
        pct = f" ({100 * self.n / self.total:.0f}%)" if self.total else ""
        extra = f", {self.postfix}" if self.postfix else ""
        return f"[lowdim] {self.desc}: {self.n}/{self.total}{pct}, {time.perf_counter() - self.start:.0f} s{extra}"

    def _write(self) -> None:
        if not self.disable:
            print(self._line(), file=self.file, flush=True)
        self.last_n, self.last_time = self.n, time.perf_counter()

    def _maybe_write(self) -> None:
        now = time.perf_counter()
        if now - self.last_time < self.min_seconds:
            return
        if (self.total and self.n - self.last_n >= self.every * self.total) or now - self.last_time >= self.seconds:
            self._write()

    def close(self) -> None:
        if not self.closed and self.n != self.last_n:
            self._write()
        self.closed = True


def progress(iterable: Iterable, total: int, initial: int = 0, desc: str = "", disable: bool = False,
             file: TextIO | None = None):
    """A tqdm bar in a terminal, :class:`Lines` elsewhere (``LOWDIM_PROGRESS=bar`` or ``lines`` forces one)."""
    file = file or sys.stderr
    mode = os.environ.get("LOWDIM_PROGRESS") or ("bar" if is_terminal(file) else "lines")
    if mode == "bar":
        from tqdm.auto import tqdm

        return tqdm(iterable, initial=initial, total=total, desc=desc, disable=disable, mininterval=1.0, file=file,
                    dynamic_ncols=True)
    return Lines(iterable, total, initial, desc, file=file, disable=disable)
