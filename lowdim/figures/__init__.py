"""Figures: clear, labelled, written atomically as PDF and PNG."""

from lowdim.figures.style import plt, save

__all__ = ["plt", "save"]
