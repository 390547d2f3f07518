"""The ``rhm`` block of params.yaml and the specs of the study's single steps (what one rule passes;
the CLI builds them from its JSON). Ranges and choices live on each field (``lowdim.specs.schema``)."""

from __future__ import annotations

from dataclasses import dataclass

from lowdim.specs.base import nested, param


@dataclass(frozen=True)
class RhmModel:
    depth: int = param(2, 'U-Net down/up levels', minimum=1, maximum=6)
    width: int = param(16, 'channels of the first level (doubled per level)', minimum=1, maximum=512)


@dataclass(frozen=True)
class RhmTrain:
    epochs: int = param(8, 'training epochs', minimum=1)
    batch_size: int = param(32, 'tiles per step', minimum=1)
    lr: float = param(1.0e-3, 'Adam learning rate', exclusive_minimum=0, maximum=1)


@dataclass(frozen=True)
class RhmJitter:
    brightness: float = param(0.4, 'brightness factor drawn from [1 - b, 1 + b]', minimum=0, maximum=1)
    contrast: float = param(0.4, 'contrast factor drawn from [1 - c, 1 + c]', minimum=0, maximum=1)
    saturation: float = param(0.4, 'saturation factor drawn from [1 - s, 1 + s]', minimum=0, maximum=1)
    hue: float = param(0.05, 'hue shift drawn from [-h, h]', minimum=0, maximum=0.5)
    gamma: float = param(0.5, 'gamma drawn log-uniformly from [1 / (1 + g), 1 + g]', minimum=0, maximum=4)


@dataclass(frozen=True)
class RhmInvariance:
    strengths: tuple[float, ...] = param((0.0, 0.25, 0.5, 0.75, 1.0), 'strengths of the random monotone transformations', min_items=1, items={'minimum': 0, 'maximum': 1})
    transforms: int = param(4, 'random transformations per strength', minimum=1)
    seed: int = param(100, 'seed of the transformations (the same for every method and seed)', minimum=0)


@dataclass(frozen=True)
class Rhm:
    """Randomized histogram matching: segmentation under pixel-wise domain shift (Yaras et al. 2024)."""

    datasets: tuple[str, ...] = param(('inria_spacenet',), 'data sources, each a study of its own (claims per source): inria_spacenet (real: Austin -> Vienna, Rio) | overhead (procedural scenes) | inria (the full Inria layout, paper config)', min_items=1, unique_items=True, items={'enum': ['inria_spacenet', 'overhead', 'inria']})
    methods: tuple[str, ...] = param(('none', 'jitter', 'histeq', 'grayworld', 'rhm', 'oracle'), 'none | jitter | histeq | grayworld | rhm | oracle', min_items=1, unique_items=True, items={'enum': ['none', 'jitter', 'histeq', 'grayworld', 'rhm', 'oracle']})
    seeds: tuple[int, ...] = param((0, 1, 2), 'a seed fixes the init and the batch order', min_items=1, unique_items=True, items={'minimum': 0})
    model: RhmModel = nested(RhmModel, 'the U-Net')
    train: RhmTrain = nested(RhmTrain, 'training (the same budget for every method)')
    jitter: RhmJitter = nested(RhmJitter, 'the photometric jitter baseline (torchvision ColorJitter + gamma)')
    invariance: RhmInvariance = nested(RhmInvariance, 'IoU under random pixel-wise transformations of the source test set')


@dataclass(frozen=True)
class RhmJob:
    device: str = param("auto", "auto | cpu | cuda")
    dataset: str = param("inria_spacenet", "the data source of this job (one of params rhm.datasets)")
    rhm: Rhm = nested(Rhm, "params rhm")


#: The study at test scale (tests/conftest.py): a params overlay on which every one of its rules runs, in seconds,
#: on 2 CPU cores.
TINY = {
    "data": {"overhead": {"size": 16, "train": 32, "test": 16, "unlabelled": 16, "targets": 2},
             "inria_spacenet": {"size": 16, "train": 32, "test": 16, "unlabelled": 16}},
    "rhm": {"datasets": ["inria_spacenet", "overhead"], "seeds": [0], "model": {"depth": 1, "width": 4},
            "train": {"epochs": 2, "batch_size": 16},
            "invariance": {"strengths": [0.0, 1.0], "transforms": 1}},
}
