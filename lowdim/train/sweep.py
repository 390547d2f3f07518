"""A sweep's jobs in one process."""

from __future__ import annotations

from typing import Callable

from lowdim.errors import ParamsError


def sweep(step: Callable, spec, jobs: list[str], outs: list[str], checkpoints: list[str]) -> None:
    """``step(spec, job, out, checkpoint)`` for every job of a sweep, one after another in this process.

    A sweep's jobs share one spec (a change of it re-runs all of them anyway), and most are a few seconds
    of work behind the interpreter's and torch's start-up (~3.5 s a process on an AVX2 EPYC core): one
    process per sweep pays it once. Each job keeps its own output and checkpoint (a re-run resumes it)."""
    if not len(jobs) == len(outs) == len(checkpoints):
        raise ParamsError(f"a sweep needs one output and one checkpoint per job: {len(jobs)} jobs, "
                          f"{len(outs)} outputs (--outs), {len(checkpoints)} checkpoints (--checkpoints)")
    for job, out, checkpoint in zip(jobs, outs, checkpoints):
        step(spec, job, out, checkpoint)
