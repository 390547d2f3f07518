"""Metrics of low-dimensional structure, each checked against a slow numpy reference in tests.

Names resolve lazily (PEP 562): ``from lowdim.metrics.fits import linear_fit`` loads numpy only,
not the torch-based collapse metrics, so a step that fits curves starts without importing torch.
"""

from importlib import import_module

_WHERE = {
    "compression": "collapse", "discrimination": "collapse", "nc1": "collapse", "nc2": "collapse", "nc3": "collapse",
    "nc4": "collapse", "numerical_rank": "collapse", "geometric_fit": "fits", "linear_fit": "fits",
    "ClassStats": "streaming", "collapse_metrics": "collapse", "layer_metrics": "collapse", "stream": "streaming",
    "principal_angles": "subspace",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f"lowdim.metrics.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'lowdim.metrics' has no attribute {name!r}")
