"""One training loop for every study: device, seeding, progress, checkpoints, NaN guard; a sweep's jobs in one process."""

from lowdim.train.loop import Checkpointer, fit, pick_device, seed_everything
from lowdim.train.sweep import sweep

__all__ = ["Checkpointer", "fit", "pick_device", "seed_everything", "sweep"]
