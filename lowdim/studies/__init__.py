"""One module per study: each wires data, models, training, metrics and figures together
and exposes the steps its Snakemake rules call (``python -m lowdim <study> <step>``)."""
