"""The training loop shared by all studies.

``fit`` runs epochs of steps, shows its progress (a bar in a terminal, plain lines in a log), writes a checkpoint atomically and durably
every ``checkpoint_every`` epochs (and at the end), keeping the one before, resumes from the
newest readable one when re-run with the same identity (an unreadable one is set aside), and stops with a one-line :class:`DivergedError` naming the run, the step and
the last finite loss when the loss stops being finite. Batch order depends only on
(seed, epoch), so an interrupted-and-resumed run reproduces an uninterrupted one exactly.
"""

from __future__ import annotations

import io
import os
import random
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import torch

from lowdim.errors import DivergedError, ParamsError
from lowdim.io import atomic_path
from lowdim.train.progress import progress as progress_bar


def pick_device(request: str = "auto") -> torch.device:
    """'auto' -> CUDA when present, else CPU; 'cuda' without a GPU is an error."""
    if request == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if request == "cuda" and not torch.cuda.is_available():
        raise ParamsError("params: device = \"cuda\" but no CUDA device is visible: use device: auto or cpu")
    return torch.device(request)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """A CPU generator that depends only on (seed, epoch): resumable batch orders."""
    return torch.Generator().manual_seed(seed * 1_000_003 + epoch)


def index_batches(n: int, batch_size: int, seed: int, epoch: int, device: torch.device) -> list[torch.Tensor]:
    """Shuffled index batches of one epoch (the last one may be short)."""
    perm = torch.randperm(n, generator=epoch_generator(seed, epoch)).to(device)
    return list(perm.split(batch_size))


@dataclass
class Checkpointer:
    """A run's checkpoint and the one before it (``<name>.prev``): one bad write never costs the run.

    A checkpoint that cannot be read (truncated, bytes corrupted: each is a zip archive whose CRCs
    are checked before torch reads it) is moved aside to ``<name>.unreadable`` with a one-line
    warning, and the previous one is tried; with neither, training starts over.
    """

    path: Path
    identity: str  #: params hash of the run; a checkpoint of another identity is ignored
    every: int = 1
    source: Path | None = None  #: the file the last load read (the checkpoint or the previous one)

    @property
    def previous(self) -> Path:
        return self.path.with_name(self.path.name + ".prev")

    def load(self) -> dict[str, Any] | None:
        for candidate in (self.path, self.previous):
            if not candidate.exists():
                continue
            try:
                state = _read_checkpoint(candidate)
            except Exception as e:  # noqa: BLE001 -- any unreadable file is set aside, whatever broke it
                aside = _set_aside(candidate)
                then = "trying the previous one" if candidate == self.path and self.previous.exists() else "starting over"
                reason = " ".join(str(e).split())[:160] or type(e).__name__
                print(f"[lowdim] warning: checkpoint {candidate} cannot be read ({reason}); moved to {aside.name}, {then}",
                      file=sys.stderr)
                continue
            if state.get("identity") != self.identity:
                print(f"[lowdim] ignoring checkpoint {candidate}: it belongs to other parameters", file=sys.stderr)
                continue
            self.source = candidate
            return state
        return None

    def save(self, state: dict[str, Any]) -> None:
        """Write the new checkpoint durably, keeping the last one as ``<name>.prev``."""
        buf = io.BytesIO()
        torch.save({**state, "identity": self.identity}, buf)
        with atomic_path(self.path) as tmp:
            tmp.write_bytes(buf.getbuffer())
            if self.path.exists():  # the new one is on disk (not yet in place): the old one becomes .prev
                os.replace(self.path, self.previous)

    def remove(self) -> None:
        """Delete the checkpoints (a finished job whose outputs are complete)."""
        for p in (self.path, self.previous):
            p.unlink(missing_ok=True)


def _read_checkpoint(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as z:  # torch writes CRC-32s but does not check them on load
        bad = z.testzip()
    if bad is not None:
        raise ValueError(f"CRC mismatch in {bad}")
    state = torch.load(path, map_location="cpu", weights_only=False)
    missing = {"model", "optimizer", "epoch", "step", "history"} - set(state if isinstance(state, dict) else ())
    if missing:
        raise ValueError(f"not a training checkpoint (lacks {', '.join(sorted(missing))})")
    return state


def _set_aside(path: Path) -> Path:
    aside = path.with_name(path.name + ".unreadable")
    os.replace(path, aside)
    return aside


def fit(
    run: str,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Any], torch.Tensor],
    batches: Callable[[int], Iterable[Any]],
    epochs: int,
    checkpointer: Checkpointer,
    scheduler: Any = None,
    on_epoch_end: Callable[[int], dict[str, float]] | None = None,
    progress: bool = True,
    stop: Callable[[dict[str, float]], bool] | None = None,
    evaluate_start: bool = False,
    scheduler_every: str = "epoch",
) -> list[dict[str, float]]:
    """Train ``model`` for ``epochs`` epochs; returns the per-epoch history.

    ``batches(epoch)`` yields the epoch's batches; ``loss_fn(batch)`` returns the scalar loss.
    ``on_epoch_end(epoch)`` may return extra numbers to log (evaluation). History rows
    hold ``epoch`` (1-based, completed epochs), ``step``, ``loss`` and those numbers.
    ``stop(row)`` ends training early (e.g. at a target loss) after that row is logged.
    ``evaluate_start``: log ``on_epoch_end(-1)`` as epoch 0 (the initialization) before training.
    ``scheduler_every``: "epoch" or "step" (a schedule defined per optimizer step).
    """
    start, step, history = 0, 0, []
    state = checkpointer.load()
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        start, step, history = state["epoch"], state["step"], state["history"]
        if stop is not None and history and stop(history[-1]):
            start = epochs  # it had already stopped early
        print(f"[lowdim] {run}: resuming from epoch {start} ({checkpointer.source})", file=sys.stderr)
    if state is None and evaluate_start and on_epoch_end is not None:
        model.eval()
        with torch.no_grad():
            history.append({"epoch": 0, "step": 0, "loss": float("nan"), **on_epoch_end(-1)})
    last_finite = history[-1]["loss"] if history else float("nan")
    bar = progress_bar(range(start, epochs), total=epochs, initial=start, desc=run, disable=not progress)
    for epoch in bar:
        model.train()
        losses = []
        for batch in batches(epoch):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(batch)
            loss.backward()
            optimizer.step()
            if scheduler is not None and scheduler_every == "step":
                scheduler.step()
            losses.append(loss.detach())
        if scheduler is not None and scheduler_every == "epoch":
            scheduler.step()
        values = torch.stack(losses).double().cpu().numpy()  # one sync per epoch, not per step
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            i = int(bad[0])
            last = values[i - 1] if i else last_finite
            raise DivergedError(
                f"run {run} diverged at step {step + i + 1} (epoch {epoch + 1}): loss = {values[i]}, "
                f"last finite loss = {last:.6g}; lower the learning rate or check the inputs"
            )
        step += values.size
        last_finite = float(values[-1])
        row = {"epoch": epoch + 1, "step": step, "loss": float(values.mean())}
        if on_epoch_end is not None:
            model.eval()
            with torch.no_grad():
                row.update(on_epoch_end(epoch))
        history.append(row)
        bar.set_postfix(loss=f"{row['loss']:.4g}")
        done = epoch + 1 == epochs or (stop is not None and stop(row))
        if (epoch + 1) % checkpointer.every == 0 or done:
            checkpointer.save({
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict() if scheduler is not None else None,
                "epoch": epoch + 1, "step": step, "history": history,
            })
        if done:
            break
    bar.close()
    return history
