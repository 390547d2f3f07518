"""Summaries over seeds: the centre and a 95% interval, the way the scorecard states a result."""

from __future__ import annotations

import numpy as np


def interval(values, level: float = 0.95, resamples: int = 10_000, seed: int = 0) -> dict[str, float]:
    """Mean of ``values`` (one per seed) with an interval at ``level``: a percentile bootstrap of the mean
    from 5 values; below that (too few to resample) Student's t interval, mean +- t(n-1) s / sqrt(n) —
    not the min-max range, which with 2 seeds excludes 0 half the time when nothing is there; one value
    gives no interval. Returns {n, mean, low, high, method}."""
    from scipy.stats import t as student

    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"n": 0, "mean": float("nan"), "low": float("nan"), "high": float("nan"), "method": "none"}
    if v.size == 1:
        return {"n": 1, "mean": float(v[0]), "low": float("-inf"), "high": float("inf"), "method": "one seed"}
    if v.size < 5:
        half = student.ppf(1 - (1 - level) / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size)
        return {"n": int(v.size), "mean": float(v.mean()), "low": float(v.mean() - half), "high": float(v.mean() + half),
                "method": f"t {level:.0%}"}
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, v.size, size=(resamples, v.size))].mean(axis=1)
    tail = (1 - level) / 2
    return {"n": int(v.size), "mean": float(v.mean()), "low": float(np.quantile(means, tail)),
            "high": float(np.quantile(means, 1 - tail)), "method": f"bootstrap {level:.0%}"}


def verdict(iv: dict[str, float]) -> str:
    """"yes" when the whole interval is above 0, "no" when it is below, "not resolved" when it holds 0."""
    if iv["n"] == 0:
        return "no evidence"
    if iv["low"] > 0:
        return "yes"
    if iv["high"] < 0:
        return "no"
    return "not resolved"
