"""Metrics of low-dimensional structure, each checked against a slow numpy reference in tests."""

from lowdim.metrics.collapse import compression, discrimination, nc1, nc2, nc3, nc4, numerical_rank
from lowdim.metrics.fits import geometric_fit, linear_fit
from lowdim.metrics.streaming import ClassStats, collapse_metrics, layer_metrics, stream
from lowdim.metrics.subspace import principal_angles

__all__ = ["ClassStats", "collapse_metrics", "compression", "discrimination", "geometric_fit", "layer_metrics",
           "linear_fit", "nc1", "nc2", "nc3", "nc4", "numerical_rank", "principal_angles", "stream"]
