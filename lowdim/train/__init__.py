"""One training loop for every study: device, seeding, progress, checkpoints, NaN guard."""

from lowdim.train.loop import Checkpointer, fit, pick_device, seed_everything

__all__ = ["Checkpointer", "fit", "pick_device", "seed_everything"]
