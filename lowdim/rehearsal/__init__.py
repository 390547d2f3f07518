"""The paper scale rehearsed on CPU (``workflow/configs/rehearsal.yaml`` over ``paper.yaml``): every
paper job at its paper shape, cut to a few steps, on stand-in inputs where the real ones cannot be had
offline (:mod:`lowdim.rehearsal.standins`), and the paper scale's projected cost from step times and
FLOPs measured at paper shape (:mod:`lowdim.rehearsal.cost`)."""
