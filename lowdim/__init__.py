"""lowdim: how deep networks learn low-dimensional structure, as a reproducible pipeline.

The package holds all the science; the Snakemake rules in ``workflow/rules`` only call
``python -m lowdim <study> <step>``.
"""

__version__ = "0.1.0"
