"""The cost of durable writes: lowdim's atomic writer (fsync of the file and its folder) against
the same writer without the two fsyncs, on the file sizes the default run writes.

    python bench/io.py                      # 200 files of each size, in ./results/.bench-io
    python bench/io.py --dir /scratch/me    # on the file system you will run on

Prints milliseconds per write for both and the added seconds for the default run's outputs
(``--outputs``: how many files it writes, counted with ``find results/embedded -type f | wc -l``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path
from unittest import mock

from lowdim import io


def per_write(folder: Path, size: int, n: int, durable: bool) -> float:
    data = os.urandom(size)
    patches = [] if durable else [mock.patch.object(io, "_sync_file", lambda p: None),
                                  mock.patch.object(io, "_sync_dir", lambda p: None)]
    for p in patches:
        p.start()
    try:
        t = time.perf_counter()
        for i in range(n):
            io.write_bytes(folder / f"f{i % 20}.bin", data)
        return (time.perf_counter() - t) / n
    finally:
        for p in patches:
            p.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default="results/.bench-io")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--outputs", type=int, default=400, help="files the run writes (default: about the embedded run)")
    a = ap.parse_args()
    folder = Path(a.dir)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        print(f"{'size':>10} {'fsync ms':>9} {'no fsync ms':>12} {'ratio':>6} {'added s per run':>16}")
        for size in (4_000, 200_000, 5_000_000):
            slow = per_write(folder, size, a.n, durable=True)
            fast = per_write(folder, size, a.n, durable=False)
            print(f"{size:>10,} {slow * 1e3:9.2f} {fast * 1e3:12.2f} {slow / fast:6.2f} {(slow - fast) * a.outputs:16.2f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
