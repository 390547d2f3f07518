"""The ``dln`` block of params.yaml and the specs of the study's single steps (what one rule passes;
the CLI builds them from its JSON). Ranges and choices live on each field (``lowdim.specs.schema``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from lowdim.errors import ParamsError
from lowdim.specs.base import nested, param


@dataclass(frozen=True)
class DlnProgressiveData:
    classes: int = param(3, 'number of classes K (consecutive blocks of samples)', minimum=2, maximum=1000)
    dim: int = param(50, 'input dimension d', minimum=2, maximum=100000)
    samples: int = param(30, 'samples N (a multiple of classes)', minimum=2, maximum=100000)
    perturbation: float = param(1.0, 'Frobenius norm of the Gaussian perturbation of the orthonormal samples', minimum=0, maximum=100)


@dataclass(frozen=True)
class DlnProgressive:
    data: DlnProgressiveData = nested(DlnProgressiveData, "The authors' orthogonal_dataset, one draw per seed.")
    depths: tuple[int, ...] = param((4, 5, 6, 8), 'numbers of hidden layers (a linear head follows)', min_items=1, unique_items=True, items={'minimum': 2, 'maximum': 64})
    activations: tuple[str, ...] = param(('linear',), 'activations', min_items=1, unique_items=True, items={'enum': ['linear', 'relu']})
    width: int = param(50, 'hidden width', minimum=1, maximum=100000)
    init_scale: float = param(0.3, 'orthogonal init times this', exclusive_minimum=0, maximum=10)
    output_scale: float = param(100.0, 'the loss sees output_scale * z (the authors: 100)', exclusive_minimum=0, maximum=100000)
    lr: float = param(0.1, 'GD learning rate, cosine-decayed to lr_min', exclusive_minimum=0, maximum=100)
    lr_min: float = param(0.01, 'cosine schedule ends at this lr', minimum=0, maximum=100)
    epochs: int = param(5000, 'cap on GD epochs', minimum=1, maximum=10000000)
    tol: float = param(1e-11, "stop when every seed's loss is below this", exclusive_minimum=0)
    loss: str = param('mse', 'mse (their sum |100 z - e_y|^2 / N)', enum=['mse', 'ce'])
    record_every: int = param(10, 'epochs between recorded losses', minimum=1)
    checkpoint_every: int = param(500, 'epochs between checkpoints', minimum=1)


@dataclass(frozen=True)
class DlnInvariant:
    dim: int = param(30, 'target is dim x dim', minimum=2, maximum=100000)
    rank: int = param(3, 'rank r of the target', minimum=1, maximum=100000)
    depth: int = param(3, 'layers L', minimum=2, maximum=64)
    init_scale: float = param(1.0, 'orthogonal init times this', exclusive_minimum=0, maximum=10)
    steps: int = param(100, 'optimizer steps', minimum=1, maximum=10000000)
    samples: int = param(300, 'columns of the generic (non-whitened) input X', minimum=1)
    inputs: tuple[str, ...] = param(('whitened', 'generic'), 'whitened (X = I) and/or generic (Gaussian X)', min_items=1, unique_items=True, items={'enum': ['whitened', 'generic']})
    optimizers: dict[str, float] = param({'gd': 0.2, 'momentum': 0.02, 'adam': 0.005, 'rmsprop': 0.005}, 'optimizer -> learning rate', min_properties=1,
        property_names={'enum': ['gd', 'momentum', 'adam', 'rmsprop']}, values={'exclusive_minimum': 0, 'maximum': 100})


@dataclass(frozen=True)
class DlnCompressed:
    dim: int = param(200, 'target is dim x dim', minimum=2, maximum=100000)
    rank: int = param(5, 'rank r of the target (compressed width 2r)', minimum=1, maximum=100000)
    depth: int = param(3, 'layers L', minimum=2, maximum=64)
    init_scale: float = param(0.01, 'epsilon of the orthogonal init', exclusive_minimum=0, maximum=10)
    lr: float = param(0.5, 'GD learning rate', exclusive_minimum=0, maximum=100)
    gamma: float = param(0.0, 'outer factors of the compressed network train at gamma * lr', minimum=0, maximum=1000)
    tol: float = param(1e-09, 'stop at this loss', exclusive_minimum=0)
    max_steps: int = param(5000, 'a cap on GD steps', minimum=1, maximum=100000000)
    record_every: int = param(10, 'iterations between recorded errors', minimum=1)


@dataclass(frozen=True)
class Dln:
    """Deep linear networks (Wang et al. 2023; Yaras et al. 2023, the law of parsimony)."""

    seeds: tuple[int, ...] = param((0, 1, 2), 'Seeds; progressive jobs train all of them as one batched network, the others use the first.', min_items=1, unique_items=True, items={'minimum': 0})
    progressive: DlnProgressive = nested(DlnProgressive, 'Per-layer compression/discrimination of DLNs trained by full-batch GD on nearly orthonormal samples (Wang et al. 2023).')
    invariant: DlnInvariant = nested(DlnInvariant, 'GD on a DLN fitting a rank-r target; spectra and subspaces over iterations.')
    compressed: DlnCompressed = nested(DlnCompressed, 'Full width vs compressed width-2r vs narrow random network on a fully observed rank-r target.')


@dataclass(frozen=True)
class DlnProgressiveJob:
    device: str = param("auto", "auto | cpu | cuda")
    seeds: tuple[int, ...] = param((0, 1, 2), "params dln.seeds")
    progressive: DlnProgressive = nested(DlnProgressive, "params dln.progressive")


@dataclass(frozen=True)
class DlnInvariantJob:
    device: str = param("auto", "auto | cpu | cuda")
    seeds: tuple[int, ...] = param((0, 1, 2), "params dln.seeds")
    invariant: DlnInvariant = nested(DlnInvariant, "params dln.invariant")


@dataclass(frozen=True)
class DlnCompressedJob:
    device: str = param("auto", "auto | cpu | cuda")
    seeds: tuple[int, ...] = param((0, 1, 2), "params dln.seeds")
    compressed: DlnCompressed = nested(DlnCompressed, "params dln.compressed")


def check(params: Mapping) -> None:
    """Rules between keys of the dln block that the schema cannot express (``lowdim.config.validate`` calls it)."""
    for exp in ("invariant", "compressed"):
        e = params["dln"][exp]
        if 2 * e["rank"] > e["dim"]:
            raise ParamsError(f"params: dln.{exp}.rank = {e['rank']} is not allowed: 2 * rank must be <= dln.{exp}.dim ({e['dim']})")
    pd_ = params["dln"]["progressive"]["data"]
    if pd_["samples"] % pd_["classes"]:
        raise ParamsError(f"params: dln.progressive.data.samples = {pd_['samples']} is not allowed: must be a multiple of "
                          f"dln.progressive.data.classes ({pd_['classes']})")


#: The study at test scale (tests/conftest.py): a params overlay on which every one of its rules runs, in seconds,
#: on 2 CPU cores.
TINY = {"dln": {
        "seeds": [0, 1],
        "progressive": {"depths": [3], "activations": ["linear"], "epochs": 60, "record_every": 20,
                        "checkpoint_every": 30},
        "invariant": {"dim": 12, "rank": 2, "steps": 10, "inputs": ["whitened"], "optimizers": {"gd": 0.2}},
        "compressed": {"dim": 30, "rank": 2, "max_steps": 400, "record_every": 5},
    }}
