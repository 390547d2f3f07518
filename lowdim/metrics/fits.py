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
