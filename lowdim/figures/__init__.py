"""Figures: clear, labelled, written atomically as PDF and PNG."""

from lowdim.figures.bands import seed_band
from lowdim.figures.style import plt, save

__all__ = ["plt", "save", "seed_band"]
