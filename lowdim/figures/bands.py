"""Curves over seeds: the centre line with its spread as a band, the convention of every study's figures."""

from __future__ import annotations

import pandas as pd


def seed_band(ax, frame: pd.DataFrame, x: str, color: str, label: str | None = None, marker: str = "o-",
              value: str = "value", **line) -> pd.DataFrame:
    """Plot the mean of ``frame[value]`` per ``x`` with a min-max band over the rest (the seeds).
    Returns the per-x statistics (mean, min, max) for further annotation."""
    s = frame.groupby(x)[value].agg(["mean", "min", "max"])
    ax.plot(s.index, s["mean"], marker, color=color, label=label, **line)
    ax.fill_between(s.index.to_numpy(float), s["min"], s["max"], color=color, alpha=0.2, linewidth=0)
    return s
