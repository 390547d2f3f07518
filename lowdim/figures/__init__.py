"""Figures: clear, labelled, written atomically as PDF and PNG."""

from lowdim.figures.style import save

__all__ = ["save"]
