"""Metrics of low-dimensional structure, each checked against a slow numpy reference in tests."""

from lowdim.metrics.collapse import compression, discrimination, nc1
from lowdim.metrics.streaming import ClassStats, layer_metrics

__all__ = ["ClassStats", "compression", "discrimination", "layer_metrics", "nc1"]
