"""The specs of single steps: what one rule passes (the CLI builds them from its JSON)."""

from __future__ import annotations

from dataclasses import dataclass

from lowdim.specs.base import nested, param
from lowdim.specs.params import (Adapt, Rhm, CollapseFeatures, CollapseModel, CollapseTrain, CollapseUmap, CompletionDepthWidth,
                                 CompletionMovielens, CompletionSpeed, DlnCompressed, DlnInvariant, DlnProgressive)

@dataclass(frozen=True)
class CollapseRun:
    """A collapse run's training recipe (``lowdim.studies.collapse.experiments_spec``), plus the feature /
    UMAP settings for the steps that read features."""
    device: str = param("auto", "auto | cpu | cuda")
    model: CollapseModel = nested(CollapseModel, "the model spec (params collapse.models.<name>)")
    head: str = param("standard", "standard | normalized (a transfer run trains a standard head)")
    temperature: float = param(1.0, "normalized head: logits = cos / temperature")
    train: CollapseTrain = nested(CollapseTrain, "params collapse.train")
    classes: tuple[int, ...] | None = param(None, "train on these classes only (transfer runs); null: all")
    features: CollapseFeatures = nested(CollapseFeatures, "params collapse.features")
    umap: CollapseUmap = nested(CollapseUmap, "params collapse.umap")


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


@dataclass(frozen=True)
class RhmJob:
    device: str = param("auto", "auto | cpu | cuda")
    dataset: str = param("inria_spacenet", "the data source of this job (one of params rhm.datasets)")
    rhm: Rhm = nested(Rhm, "params rhm")


@dataclass(frozen=True)
class AdaptJob:
    device: str = param("auto", "auto | cpu | cuda")
    adapt: Adapt = nested(Adapt, "params adapt")
