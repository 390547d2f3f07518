"""The ``completion`` block of params.yaml and the specs of the study's single steps (what one rule passes;
the CLI builds them from its JSON). Ranges and choices live on each field (``lowdim.specs.schema``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from lowdim.errors import ParamsError
from lowdim.specs.base import nested, param


@dataclass(frozen=True)
class CompletionDepthWidth:
    dim: int = param(100, 'the matrix is dim x dim', minimum=2, maximum=100000)
    rank: int = param(10, 'rank r of the ground truth', minimum=1, maximum=100000)
    observed: float = param(0.3, 'fraction of entries observed', exclusive_minimum=0, exclusive_maximum=1)
    depths: tuple[int, ...] = param((2, 3), 'depths', min_items=1, unique_items=True, items={'minimum': 2, 'maximum': 16})
    lr: tuple[float, ...] = param((100.0, 300.0), 'learning rate of each depth (same length as depths)', min_items=1, items={'exclusive_minimum': 0})
    widths: tuple[int, ...] = param((10, 25, 50, 100), 'widths', min_items=1, unique_items=True, items={'minimum': 1, 'maximum': 100000})
    init_scale: float = param(0.01, 'orthogonal init scale eps (theirs 1e-3)', exclusive_minimum=0, maximum=10)
    max_steps: int = param(6000, 'a cap on GD steps (a run that hits it is censored)', minimum=1, maximum=100000000)
    record_every: int = param(50, 'GD steps per logged row', minimum=1)
    tol: float = param(1e-10, "stop when every seed's train loss is below this", minimum=0)


@dataclass(frozen=True)
class CompletionSpeed:
    dim: int = param(200, 'the matrix is dim x dim (theirs 1000)', minimum=2, maximum=100000)
    rank: int = param(5, 'rank r of the ground truth', minimum=1, maximum=100000)
    observed: float = param(0.2, 'fraction of observed entries', exclusive_minimum=0, exclusive_maximum=1)
    depth: int = param(3, 'factors L', minimum=2, maximum=16)
    init_scale: float = param(0.001, 'orthogonal init scale eps', exclusive_minimum=0, maximum=10)
    lr: float = param(1000.0, 'GD learning rate (full and compressed)', exclusive_minimum=0)
    shallow_lr: float | None = param(None, 'learning rate of the depth-2 full-width baseline (null: left out)', exclusive_minimum=0)
    gammas: tuple[float, ...] = param((0.01,), 'outer factors of the compressed network train at gamma * lr', min_items=1, unique_items=True, items={'minimum': 0, 'maximum': 1000})
    ranks: tuple[int, ...] = param((5,), 'compressed and narrow networks have width 2 * rank', min_items=1, unique_items=True, items={'minimum': 1})
    als_ridge: float = param(1e-06, 'alternating minimization: ridge', minimum=0)
    als_iterations: int = param(30, 'alternating minimization: iterations', minimum=1, maximum=100000)
    max_steps: int = param(30000, 'a cap on GD steps (censored)', minimum=1, maximum=100000000)
    record_every: int = param(50, 'GD steps per logged row', minimum=1)
    tol: float = param(1e-10, "stop when every seed's train loss is below this", minimum=0)
    reach_error: float = param(0.0001, 'speed-ups compare the seconds to reach this test error', exclusive_minimum=0)


@dataclass(frozen=True)
class CompletionMovielens:
    test_fraction: float = param(0.2, 'held-out fraction of the ratings', exclusive_minimum=0, exclusive_maximum=1)
    split_seed: int = param(0, 'seed of the first train/test split (and of its init)', minimum=0)
    splits: int = param(1, 'seeded 80/20 splits: split_seed, split_seed + 1, ...', minimum=1, maximum=100)
    depth: int = param(3, 'factors L', minimum=2, maximum=16)
    width: int | None = param(None, 'null = min(users, items)', minimum=1, maximum=100000)
    init_scale: float = param(0.1, 'orthogonal init scale eps', exclusive_minimum=0, maximum=10)
    lr: float = param(1300.0, 'GD learning rate', exclusive_minimum=0)
    gamma: float = param(0.01, 'compressed: outer factors train at gamma * lr', minimum=0, maximum=1000)
    rank: int = param(10, 'compressed width is 2 * rank', minimum=1, maximum=400)
    als_rank: int = param(5, 'alternating minimization: rank', minimum=1, maximum=400)
    als_ridge: float = param(5.0, 'alternating minimization: ridge', minimum=0)
    als_iterations: int = param(20, 'alternating minimization: iterations', minimum=1, maximum=100000)
    max_steps: int = param(450, 'GD steps', minimum=1, maximum=100000000)
    record_every: int = param(20, 'GD steps per logged row', minimum=1)
    reach_rmse: float = param(0.96, 'speed-ups compare the seconds to reach this test RMSE', exclusive_minimum=0)


@dataclass(frozen=True)
class Completion:
    """Deep low-rank matrix completion (Yaras et al. ICML 2024)."""

    seeds: tuple[int, ...] = param((0, 1, 2), 'Seeds (target, mask and init); depth_width and speed stack them, movielens uses the first.', min_items=1, unique_items=True, items={'minimum': 0})
    depth_width: CompletionDepthWidth = nested(CompletionDepthWidth, 'Synthetic completion, test error vs width per depth.')
    speed: CompletionSpeed = nested(CompletionSpeed, 'Full width vs compressed vs narrow vs shallow vs alternating minimization at one setting.')
    movielens: CompletionMovielens = nested(CompletionMovielens, 'MovieLens-100K, seeded split; deep full width vs deep compressed vs ALS.')


@dataclass(frozen=True)
class CompletionDepthWidthJob:
    device: str = param("auto", "auto | cpu | cuda")
    seeds: tuple[int, ...] = param((0, 1, 2), "params completion.seeds")
    depth_width: CompletionDepthWidth = nested(CompletionDepthWidth, "params completion.depth_width")


@dataclass(frozen=True)
class CompletionSpeedJob:
    device: str = param("auto", "auto | cpu | cuda")
    seeds: tuple[int, ...] = param((0, 1, 2), "params completion.seeds")
    speed: CompletionSpeed = nested(CompletionSpeed, "params completion.speed")


@dataclass(frozen=True)
class CompletionMovielensJob:
    device: str = param("auto", "auto | cpu | cuda")
    seeds: tuple[int, ...] = param((0, 1, 2), "params completion.seeds")
    movielens: CompletionMovielens = nested(CompletionMovielens, "params completion.movielens")


def check(params: Mapping) -> None:
    """Rules between keys of the completion block that the schema cannot express (``lowdim.config.validate`` calls it)."""
    mc = params["completion"]
    dw, sp = mc["depth_width"], mc["speed"]
    if len(dw["lr"]) != len(dw["depths"]):
        raise ParamsError(f"params: completion.depth_width.lr has {len(dw['lr'])} values but depths has "
                          f"{len(dw['depths'])}: give one learning rate per depth, in the same order")
    for exp, e in (("depth_width", dw), ("speed", sp)):
        if e["rank"] > e["dim"]:
            raise ParamsError(f"params: completion.{exp}.rank = {e['rank']} is not allowed: must be <= completion.{exp}.dim ({e['dim']})")
    if 2 * max(sp["ranks"]) > sp["dim"]:
        raise ParamsError(f"params: completion.speed.ranks = {sp['ranks']} is not allowed: 2 * rank must be <= "
                          f"completion.speed.dim ({sp['dim']})")


#: The study at test scale (tests/conftest.py): a params overlay on which every one of its rules runs, in seconds,
#: on 2 CPU cores.
TINY = {"completion": {
        "seeds": [0, 1],
        "depth_width": {"dim": 20, "rank": 2, "widths": [4, 20], "lr": [15.0, 30.0], "max_steps": 200,
                        "record_every": 50},
        "speed": {"dim": 30, "rank": 2, "ranks": [2], "gammas": [0.01], "lr": 50.0, "shallow_lr": 50.0,
                  "max_steps": 200, "record_every": 50, "als_iterations": 5},
        "movielens": {"width": 40, "rank": 4, "max_steps": 40, "record_every": 20, "als_iterations": 3},
    }}
