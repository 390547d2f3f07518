"""Fits of layerwise trends (Wang et al. 2023): geometric decay of compression, linear growth
of discrimination."""

from __future__ import annotations

import numpy as np


def linear_fit(x, y) -> dict[str, float]:
    """Least-squares y = intercept + slope * x, with the coefficient of determination R^2."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.size < 2:
        return {"slope": float("nan"), "intercept": float("nan"), "r2": float("nan")}
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (intercept + slope * x)
    ss_tot = ((y - y.mean()) ** 2).sum()
    r2 = 1.0 - (resid**2).sum() / ss_tot if ss_tot > 0 else 1.0
    return {"slope": float(slope), "intercept": float(intercept), "r2": float(r2)}


def geometric_fit(x, y) -> dict[str, float]:
    """y ~ c * rate**x, fitted log-linearly; R^2 is that of the log-linear fit."""
    y = np.asarray(y, dtype=np.float64)
    if (y <= 0).any():
        return {"rate": float("nan"), "r2": float("nan")}
    f = linear_fit(x, np.log(y))
    return {"rate": float(np.exp(f["slope"])), "r2": f["r2"]}


def common_profile(values) -> np.ndarray:
    """The progress profile shared by several runs that each move from their own start to their own end.

    ``values`` (S, L): run s's metric per layer. Model: values[s, l] - values[s, 0] = g_s * p_l with
    g_s = values[s, -1] - values[s, 0], so p_0 = 0 and p_{L-1} = 1; the least-squares p_l over the runs is
    sum_s g_s (values[s, l] - values[s, 0]) / sum_s g_s^2 (runs that barely move weigh little).
    Wang et al. 2023 (Thm. 1): for discrimination this profile is linear in l.
    """
    v = np.asarray(values, dtype=np.float64)  # (S, L)
    moved = v - v[:, :1]  # (S, L)
    gap = moved[:, -1]  # (S,)
    return (gap[:, None] * moved).sum(0) / (gap**2).sum()  # (L,)
